// What Envoy 1.40's RE2 accepts, refuses and how large it compiles patterns, as measured
// against the pinned Envoy (envoy --mode validate; program sizes with
// re2.max_program_size.error_level at 0, which makes Envoy name each program's size).
import { expect } from 'chai';
import { captureGroups, maxProgramSize, programSize, re2Problem, regexProblem } from './re2.ts';

describe('RE2 checks', () => {
  describe('syntax, as Envoy 1.40 reads it', () => {
    it('takes what RE2 takes, though JavaScript may refuse it', () => {
      for (const pattern of [
        '(?P<name>a)', '(?<name>a)', '(?P<n>a)(?P<n>b)', '(?P<1>a)', '(?P<_>a)', '(?i:a(?s:b))', '(?i-s:a)', '(?i-i)', '(?)', '(?imsU)',
        '(?U)a*', '(?m)^a$', '\\pL', '\\p{Greek}', '\\p{^L}', '\\P{^L}', '\\p{Any}', '\\p{Lu}', '\\PN', '[\\pL-z]', '\\x{41}', '\\x{0041}', '\\x{ff}',
        '\\x41', '\\z', '\\A', '\\C', '\\Q.\\E', '\\Qab\\\\E', '[[:alpha:]]', '[[:^alpha:]]', '[[:alpha]', '[[=a=]]', '[]a]', '[^]a]', '[a-]', '[-a]',
        '[\\d-z]', '[\\w-]', '[a-a]', '[é-ê]', '[\\x{e9}-\\x{ea}]', '[^\\x00-\\xff]', 'a{,5}', 'a{', 'a{1', 'a{01}', 'a{ 1}', 'a{99999999999}', '{', '}',
        'a{1000}', '(a{10}){100}', '(a{31}){32}', '(?:(?:a{10}){10}){10}', '(a*){1000}', '(a{2,}){500}', '^*', '$*', '\\b*', 'a*?', 'a(?i)*', '\\_',
        '\\-', '\\ ', '\\~', '\\%', '\\0', '\\00', '\\0000', '\\12', '\\377', '[\\12]', '\\a\\f\\t\\n\\r\\v', 'a|', '|', '||', '(|)', '()', '(?:)',
        '[(?=]x', '\\(?=x\\)', '[]?=]', 'a\\\\1', '😀', 'é+',
      ]) {
        expect(re2Problem(pattern), pattern).to.equal(undefined);
      }
    });

    it('refuses what RE2 refuses, saying what', () => {
      const cases: Array<[string, string]> = [
        ['a{1001}', 'invalid repetition size: {1001}'], ['a{2,1}', 'invalid repetition size'], ['a{1001,}', 'invalid repetition size'],
        ['(a{100}){11}', 'invalid repetition size: {11}'], ['(?:(?:a{10}){10}){11}', 'invalid repetition size'], ['(a{2,}){501}', 'invalid repetition size'],
        ['\\u0041', 'invalid escape sequence: \\u'], ['\\cA', 'invalid escape sequence: \\c'], ['\\Z', 'invalid escape sequence: \\Z'], ['\\e', '\\e'],
        ['\\G', '\\G'], ['\\K', '\\K'], ['\\R', '\\R'], ['\\X', '\\X'], ['\\h', '\\h'], ['\\N', '\\N'], ['\\o{1}', '\\o'], ['\\E', '\\E'], ['\\é', 'invalid escape'],
        ['\\x{100}', 'invalid escape sequence'], ['\\x{263a}', 'invalid escape'], ['\\x4', '\\x4'], ['\\x4g', '\\x4g'], ['\\x{}', '\\x{}'], ['\\x{41', '\\x{41'],
        ['\\400', '\\400'], ['\\777', '\\777'], ['\\1', 'backreference'], ['\\18', 'backreference'], ['\\8', 'backreference'], ['(a)\\1', 'backreference'],
        ['(?<n>a)\\k<n>', 'backreference'], ['[\\1]', 'backreference'], ['(?=a)', 'lookahead'], ['(?!a)', 'lookahead'], ['(?<=a)', 'lookbehind'],
        ['(?<!a)', 'lookbehind'], ['(?x)', 'Perl syntax'], ['(?i', 'Perl syntax'], ['(?i-)', 'Perl syntax'], ['(?-)', 'Perl syntax'], ['(?--i)', 'Perl syntax'],
        ['(?', 'Perl syntax'], ['(?P=n)', 'Perl syntax'], ['(?P>n)', 'Perl syntax'], ["(?'n'a)", 'Perl syntax'], ['(?#c)', 'Perl syntax'], ['(?|a)', 'Perl syntax'],
        ['(?>a)', 'Perl syntax'], ['(?R)', 'Perl syntax'], ['(?1)', 'Perl syntax'], ['(?P<>a)', 'named capture'], ['(?P<a-b>a)', 'named capture'],
        ['(?P<é>a)', 'named capture'], ['(?P<n', 'named capture'], ['(?P<n>', 'missing )'], ['(', 'missing )'], ['(a', 'missing )'], ['(?:', 'missing )'],
        [')', 'unexpected )'], ['a)', 'unexpected )'], ['a**', 'bad repetition operator: **'], ['a*??', 'bad repetition operator: *??'], ['a{2}*', 'bad repetition'],
        ['a{2}{3}', 'bad repetition'], ['a*{2}', 'bad repetition'], ['a{2,}{3}', 'bad repetition'], ['*a', 'no argument for repetition operator: *'],
        ['a|*', 'no argument'], ['(*)', 'no argument'], ['(?i)*', 'no argument'], ['{2}', 'no argument'], ['[]', 'missing ]'], ['[^]', 'missing ]'], ['[a', 'missing ]'],
        ['[z-a]', 'invalid character class range: z-a'], ['[ä-a]', 'invalid character class range'], ['[a-\\d]', 'invalid escape sequence: \\d'], ['[\\b]', '\\b'],
        ['[\\B]', '\\B'], ['[\\Q]', '\\Q'], ['[\\E]', '\\E'], ['[\\e]', '\\e'], ['[\\cA]', '\\c'], ['[\\u0041]', '\\u'], ['[\\Z]', '\\Z'], ['[\\A]', '\\A'],
        ['[\\z]', '\\z'], ['[\\C]', '\\C'], ['[\\p{Foo}]', '\\p{Foo}'], ['[[:foo:]]', '[:foo:]'], ['[a-[:alpha:]]', 'invalid character class range'],
        ['\\p{Foo}', 'invalid character class range: \\p{Foo}'], ['\\p{Script=Greek}', 'invalid character class range'], ['\\p{latin}', 'invalid character class'],
        ['\\p', 'invalid character class range: \\p'], ['\\p{', 'invalid character class range'], ['\\p{L', 'invalid character class range'], ['\\pé', 'invalid character class'],
        ['\\p^', 'invalid character class range'], ['a\\', 'trailing \\'], ['x'.repeat(1025), 'longer than 1024'],
        // Portico embeds the pattern: a \Q without \E would take its closing parenthesis as text.
        ['a\\Qb', '\\Q without its \\E'],
      ];
      for (const [pattern, why] of cases) {
        expect(re2Problem(pattern), pattern).to.be.a('string').and.include(why);
      }
    });
  });

  describe('program sizes', () => {
    // Envoy's RE2::ProgramSize of each, measured.
    const measured: Array<[string, number]> = [
      ['a', 5], ['(?i)(?:/).*', 7], ['(?i)(?:/something(/|$)(.*)).*', 24], ['(?i)^(?:/something(/|$)(.*)).*', 14], ['(?i)(?:/api/v[0-9]+/users/([a-z0-9-]+)/(.*)).*', 32],
      ['.', 6], ['.*', 6], ['[^/]', 6], ['[^/]+', 7], ['\\pL', 11], ['\\p{Greek}', 1], ['\\w', 7], ['\\d', 5], ['\\s', 7], ['[[:alpha:]]', 5], ['é', 6], ['😀', 8],
      ['ab', 6], ['(?i)ab', 6], ['a|b', 5], ['ab|cd', 8], ['(a)', 7], ['(?:a)', 5], ['a*', 5], ['a+', 6], ['a?', 6], ['a{3}', 7], ['a{2,5}', 12], ['a{2,}', 7],
      ['^', 2], ['$', 4], ['\\b', 5], ['(?i)[^.]+\\.example\\.com(:[0-9]+)?', 25], ['.*(?:x).*', 9], ['(.*;\\s*)?foo=always(;.*)?', 29], ['^/.*$', 6],
      ['(?i)(?:/a{200}).*', 207], ['a?b?c?d?e?f?g?h?i?j?k?l?m?n?o?p?', 36], ['(?:a?){16}', 36], ['^a?b?c?d?e?f?g?h?', 18], ['^.', 4], ['..', 8], ['^..', 6],
      ['\\w\\w', 10], ['[aceg]', 8], ['^[aceg]', 6], ['[aceg][aceg]', 12], ['x[aceg]', 9], ['[^\\x00-\\x{ff}]', 1], ['\\PL', 12], ['(?i)[^a]', 7], ['\\p{Latin}', 10],
      ['(?i)k', 5], ['\\C', 5], ['(?s).', 5], ['^a', 4], ['^ab', 4], ['^abc.*', 6], ['^(?:ab)c', 4], ['^/a(b)c$', 8], ['^[a]b', 4],
      ['(?:[ac]+[ac])(?:[ac]+[ac])+', 16], ['[ac]+[ac][ac]+[ac]', 13], ['(((((?:[a-z0-9_-]{3,}[a-z0-9_-]){3,}))))', 65], ['(?:[ac]{3,}[ac]){3,}', 33],
    ];

    it('are never below what Envoy counts, and mostly exact', () => {
      let exact = 0;
      for (const [pattern, size] of measured) {
        const bound = programSize(pattern);
        expect(bound, pattern).to.be.at.least(size);
        if (bound === size) exact++;
      }
      expect(exact).to.be.greaterThan(measured.length * 0.8);
    });

    it('refuse what is over Envoy\'s limit as Envoy receives it', () => {
      expect(regexProblem('(?i)(?:/a{200}).*')).to.include(`more than the ${maxProgramSize} Envoy allows`);
      expect(regexProblem(`(?i)(?:/${'a'.repeat(95)}).*`)).to.include('RE2 instructions');
      expect(regexProblem(`(?i)(?:/${'a'.repeat(90)}).*`)).to.equal(undefined);
      expect(regexProblem('(?:[a-z]{10}){100}')).to.include('up to 1004');
      expect(regexProblem('(?:[a-z0-9]{10}){100}')).to.include('thousands of');
      expect(regexProblem('(?i)(?:a(?=b)).*')).to.include('lookahead');
    });
  });

  it('counts capture groups as RE2 does: named ones too, not (?:)', () => {
    expect(captureGroups('/(?P<a>x)(?<b>y)(z)(?:w)')).to.equal(3);
    expect(captureGroups('[(](\\()')).to.equal(1);
    expect(captureGroups('((a)|(b))')).to.equal(3);
  });
});
