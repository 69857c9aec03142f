// Envoy's regular expressions, checked before Envoy sees them: a pattern Envoy refuses would
// have it reject the whole route table. Envoy 1.40 compiles them with RE2 reading each byte as
// a Latin-1 character (measured against the pinned Envoy: "é" is two characters, \x{100} is
// refused) and refuses a compiled program of more than re2.max_program_size.error_level
// instructions, 100 unless the bootstrap's runtime says otherwise (Portico's does not).
//
// So this is RE2's parser, rule for rule from re2/parse.cc (escapes, classes, named groups,
// flags, counted repetitions of at most 1000, nested ones too), and a model of RE2's compiler
// and of the flattening that gives the program's size, leaving out RE2's rewrites that only
// shrink a program (factored alternations, squashed repetitions, a required prefix), so that
// the count is an upper bound. Pure.

/** Longer patterns are refused before RE2 is asked: Portico's limit. */
export const maxPatternLength = 1024;

/** Envoy's default re2.max_program_size.error_level: the most instructions a program may have. */
export const maxProgramSize = 100;

// RE2's parse flags, as Envoy's options set them: (?i), not (?m), (?s), (?U).
const foldCase = 1;
const oneLine = 2;
const dotNL = 4;
const nonGreedy = 8;

type Ranges = ReadonlyArray<readonly [number, number]>;

// The Latin-1 part (0-255) of RE2's character groups; the unicode names beyond it match nothing.
const perlGroups = new Map<string, Ranges>([
  ['d', [[48, 57]]],
  ['s', [[9, 10], [12, 13], [32, 32]]],
  ['w', [[48, 57], [65, 90], [95, 95], [97, 122]]],
]);

const posixGroups = new Map<string, Ranges>([
  ['alnum', [[48, 57], [65, 90], [97, 122]]],
  ['alpha', [[65, 90], [97, 122]]],
  ['ascii', [[0, 127]]],
  ['blank', [[9, 9], [32, 32]]],
  ['cntrl', [[0, 31], [127, 127]]],
  ['digit', [[48, 57]]],
  ['graph', [[33, 126]]],
  ['lower', [[97, 122]]],
  ['print', [[32, 126]]],
  ['punct', [[33, 47], [58, 64], [91, 96], [123, 126]]],
  ['space', [[9, 13], [32, 32]]],
  ['upper', [[65, 90]]],
  ['word', [[48, 57], [65, 90], [95, 95], [97, 122]]],
  ['xdigit', [[48, 57], [65, 70], [97, 102]]],
]);

const unicodeGroups = new Map<string, Ranges>([
  ['Any', [[0, 255]]],
  ['C', [[0, 31], [127, 159], [173, 173]]],
  ['Cc', [[0, 31], [127, 159]]],
  ['Cf', [[173, 173]]],
  ['Common', [[0, 64], [91, 96], [123, 169], [171, 185], [187, 191], [215, 215], [247, 247]]],
  ['L', [[65, 90], [97, 122], [170, 170], [181, 181], [186, 186], [192, 214], [216, 246], [248, 255]]],
  ['Latin', [[65, 90], [97, 122], [170, 170], [186, 186], [192, 214], [216, 246], [248, 255]]],
  ['Ll', [[97, 122], [181, 181], [223, 246], [248, 255]]],
  ['Lo', [[170, 170], [186, 186]]],
  ['Lu', [[65, 90], [192, 214], [216, 222]]],
  ['N', [[48, 57], [178, 179], [185, 185], [188, 190]]],
  ['Nd', [[48, 57]]],
  ['No', [[178, 179], [185, 185], [188, 190]]],
  ['P', [[33, 35], [37, 42], [44, 47], [58, 59], [63, 64], [91, 93], [95, 95], [123, 123], [125, 125], [161, 161], [167, 167], [171, 171], [182, 183], [187, 187], [191, 191]]],
  ['Pc', [[95, 95]]],
  ['Pd', [[45, 45]]],
  ['Pe', [[41, 41], [93, 93], [125, 125]]],
  ['Pf', [[187, 187]]],
  ['Pi', [[171, 171]]],
  ['Po', [[33, 35], [37, 39], [42, 42], [44, 44], [46, 47], [58, 59], [63, 64], [92, 92], [161, 161], [167, 167], [182, 183], [191, 191]]],
  ['Ps', [[40, 40], [91, 91], [123, 123]]],
  ['S', [[36, 36], [43, 43], [60, 62], [94, 94], [96, 96], [124, 124], [126, 126], [162, 166], [168, 169], [172, 172], [174, 177], [180, 180], [184, 184], [215, 215], [247, 247]]],
  ['Sc', [[36, 36], [162, 165]]],
  ['Sk', [[94, 94], [96, 96], [168, 168], [175, 175], [180, 180], [184, 184]]],
  ['Sm', [[43, 43], [60, 62], [124, 124], [126, 126], [172, 172], [177, 177], [215, 215], [247, 247]]],
  ['So', [[166, 166], [169, 169], [174, 174], [176, 176]]],
  ['Z', [[32, 32], [160, 160]]],
  ['Zs', [[32, 32], [160, 160]]],
  ...[
    'Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak Bengali',
    'Bhaiksuki Bopomofo Brahmi Braille Buginese Buhid Canadian_Aboriginal Carian Caucasian_Albanian',
    'Chakma Cham Cherokee Chorasmian Co Coptic Cs Cuneiform Cypriot Cypro_Minoan Cyrillic Deseret',
    'Devanagari Dives_Akuru Dogra Duployan Egyptian_Hieroglyphs Elbasan Elymaic Ethiopic Georgian',
    'Glagolitic Gothic Grantha Greek Gujarati Gunjala_Gondi Gurmukhi Han Hangul Hanifi_Rohingya',
    'Hanunoo Hatran Hebrew Hiragana Imperial_Aramaic Inherited Inscriptional_Pahlavi',
    'Inscriptional_Parthian Javanese Kaithi Kannada Katakana Kawi Kayah_Li Kharoshthi',
    'Khitan_Small_Script Khmer Khojki Khudawadi Lao Lepcha Limbu Linear_A Linear_B Lisu Lm Lt Lycian',
    'Lydian M Mahajani Makasar Malayalam Mandaic Manichaean Marchen Masaram_Gondi Mc Me Medefaidrin',
    'Meetei_Mayek Mende_Kikakui Meroitic_Cursive Meroitic_Hieroglyphs Miao Mn Modi Mongolian Mro',
    'Multani Myanmar Nabataean Nag_Mundari Nandinagari New_Tai_Lue Newa Nko Nl Nushu',
    'Nyiakeng_Puachue_Hmong Ogham Ol_Chiki Old_Hungarian Old_Italic Old_North_Arabian Old_Permic',
    'Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic Old_Uyghur Oriya Osage Osmanya Pahawh_Hmong',
    'Palmyrene Pau_Cin_Hau Phags_Pa Phoenician Psalter_Pahlavi Rejang Runic Samaritan Saurashtra',
    'Sharada Shavian Siddham SignWriting Sinhala Sogdian Sora_Sompeng Soyombo Sundanese Syloti_Nagri',
    'Syriac Tagalog Tagbanwa Tai_Le Tai_Tham Tai_Viet Takri Tamil Tangsa Tangut Telugu Thaana Thai',
    'Tibetan Tifinagh Tirhuta Toto Ugaritic Vai Vithkuqi Wancho Warang_Citi Yezidi Yi',
    'Zanabazar_Square Zl Zp',
  ].flatMap((line) => line.split(' ').map((name): [string, Ranges] => [name, []])),
]);

/**
 * A regular expression as RE2 parses it; a class is 256 flags, one per Latin-1 character (a
 * literal is a class of one, or of a letter's two cases). RE2 tells (?s). and \C from a class.
 */
type Node =
  | { op: 'empty' }
  | { op: 'class'; chars: Uint8Array; kind?: 'any-char' | 'any-byte' }
  | { op: 'assert'; text?: 'begin' | 'end' }
  | { op: 'capture'; sub: Node }
  | { op: 'concat' | 'alternate'; subs: Node[] }
  | { op: 'star' | 'plus' | 'quest'; sub: Node; flags: number }
  | { op: 'repeat'; sub: Node; min: number; max: number; flags: number };

class SyntaxProblem extends Error {}

const code = (char: string) => char.charCodeAt(0);
const isDigit = (c: number | undefined) => c !== undefined && c >= 48 && c <= 57;
const isOctal = (c: number | undefined) => c !== undefined && c >= 48 && c <= 55;
const isHex = (c: number | undefined) => c !== undefined && (isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102));
const isAlnum = (c: number) => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

// RE2 takes letters, marks, digits and connectors in names; of Latin-1, these.
function isNameChar(c: number): boolean {
  return isAlnum(c) || c === 95 || c === 0xaa || c === 0xb5 || c === 0xba || (c >= 0xc0 && c !== 0xd7 && c !== 0xf7);
}

/** Adds lo-hi, with the other case of ASCII letters when folding (RE2's Latin-1 folding). */
function addRange(chars: Uint8Array, lo: number, hi: number, flags: number): void {
  for (let c = lo; c <= hi; c++) {
    chars[c] = 1;
    if (flags & foldCase && ((c >= 65 && c <= 90) || (c >= 97 && c <= 122))) chars[c ^ 0x20] = 1;
  }
}

function addGroup(chars: Uint8Array, ranges: Ranges, negated: boolean, flags: number): void {
  if (!negated) {
    for (const [lo, hi] of ranges) addRange(chars, lo, hi, flags);
    return;
  }
  // A negated group leaves out what it names, folded first when folding.
  const named = new Uint8Array(256);
  for (const [lo, hi] of ranges) addRange(named, lo, hi, flags & foldCase);
  for (let c = 0; c < 256; c++) if (!named[c]) chars[c] = 1;
}

interface Frame {
  /** The flags when the group opened, restored when it closes. */
  flags: number;
  capture: boolean;
  alternatives: Node[];
  items: Node[];
}

const repetitionOps = new Map<string, 'star' | 'plus' | 'quest'>([['*', 'star'], ['+', 'plus'], ['?', 'quest']]);

// A literal's class, shared: a long pattern is mostly literals.
const literals = new Map<number, Uint8Array>();
function literalClass(c: number, flags: number): Uint8Array {
  const key = c | (flags & foldCase ? 256 : 0);
  let chars = literals.get(key);
  if (!chars) {
    chars = new Uint8Array(256);
    addRange(chars, c, c, flags);
    literals.set(key, chars);
  }
  return chars;
}

class Parser {
  private readonly text: Uint8Array;
  private pos = 0;
  private flags = oneLine;
  private readonly open: Frame[] = [];
  private current: Frame = { flags: oneLine, capture: false, alternatives: [], items: [] };
  captures = 0;
  /** A \Q ran to the end without its \E. */
  quotedToEnd = false;

  constructor(pattern: string) {
    this.text = new TextEncoder().encode(pattern);
  }

  private at(offset = 0): number | undefined {
    return this.text[this.pos + offset];
  }

  private left(): number {
    return this.text.length - this.pos;
  }

  /** The pattern from `from` to `to`, for messages. */
  private slice(from: number, to = this.pos): string {
    return new TextDecoder().decode(this.text.subarray(from, to));
  }

  parse(): Node {
    let lastRepetition = -1;
    while (this.pos < this.text.length) {
      let repetition = -1;
      const c = this.at()!;
      const char = String.fromCharCode(c);
      if (char === '(') {
        if (this.at(1) === code('?')) this.perlFlags();
        else {
          this.openGroup(true);
          this.pos++;
        }
      } else if (char === '|') {
        this.current.alternatives.push(concatOf(this.current.items));
        this.current.items = [];
        this.pos++;
      } else if (char === ')') {
        this.closeGroup();
        this.pos++;
      } else if (char === '^' || char === '$') {
        this.push(this.flags & oneLine ? { op: 'assert', text: char === '^' ? 'begin' : 'end' } : { op: 'assert' });
        this.pos++;
      } else if (char === '.') {
        const chars = new Uint8Array(256).fill(1);
        if (this.flags & dotNL) this.push({ op: 'class', chars, kind: 'any-char' });
        else {
          chars[10] = 0;
          this.push({ op: 'class', chars });
        }
        this.pos++;
      } else if (char === '[') {
        this.push(this.charClass());
      } else if (repetitionOps.has(char)) {
        const start = this.pos++;
        const lazy = this.at() === code('?');
        if (lazy) this.pos++;
        if (lastRepetition >= 0) throw new SyntaxProblem(`bad repetition operator: ${this.slice(lastRepetition)}`);
        this.repeat(repetitionOps.get(char)!, this.slice(start), lazy);
        repetition = start;
      } else if (char === '{') {
        const start = this.pos;
        const counts = this.counts();
        if (!counts) {
          this.literal(c);
          this.pos++;
        } else {
          const lazy = this.at() === code('?');
          if (lazy) this.pos++;
          if (lastRepetition >= 0) throw new SyntaxProblem(`bad repetition operator: ${this.slice(lastRepetition)}`);
          this.repeatCounted(counts.min, counts.max, this.slice(start), lazy);
          repetition = start;
        }
      } else if (char === '\\') {
        this.backslash();
      } else {
        this.literal(c);
        this.pos++;
      }
      lastRepetition = repetition;
    }
    if (this.open.length) throw new SyntaxProblem(`missing ): ${this.slice(0)}`);
    return collapse(this.current);
  }

  private push(node: Node): void {
    this.current.items.push(node);
  }

  private literal(c: number): void {
    this.push({ op: 'class', chars: literalClass(c, this.flags) });
  }

  private openGroup(capture: boolean): void {
    this.open.push(this.current);
    this.current = { flags: this.flags, capture, alternatives: [], items: [] };
    if (capture) this.captures++;
  }

  private closeGroup(): void {
    const group = this.current;
    const outer = this.open.pop();
    if (!outer) throw new SyntaxProblem('unexpected )');
    this.flags = group.flags;
    this.current = outer;
    const node = collapse(group);
    this.push(group.capture ? { op: 'capture', sub: node } : node);
  }

  /** `(?` … : flags, a group without capture, a named group; RE2 has no other. */
  private perlFlags(): void {
    const start = this.pos;
    const third = this.at(2);
    if ((this.left() > 3 && (third === code('=') || third === code('!'))) || (this.left() > 4 && third === code('<') && (this.at(3) === code('=') || this.at(3) === code('!')))) {
      throw new SyntaxProblem(`uses a ${third === code('<') ? 'lookbehind' : 'lookahead'} (${this.slice(start, start + (third === code('<') ? 4 : 3))}), which RE2 lacks`);
    }
    if ((this.left() > 4 && third === code('P') && this.at(3) === code('<')) || (this.left() > 3 && third === code('<'))) {
      const begin = start + (third === code('P') ? 4 : 3);
      const end = this.text.indexOf(code('>'), begin);
      if (end < 0) throw new SyntaxProblem(`invalid named capture group: ${this.slice(start, this.text.length)}`);
      const name = this.text.subarray(begin, end);
      if (!name.length || !name.every(isNameChar)) throw new SyntaxProblem(`invalid named capture group: ${this.slice(start, end + 1)}`);
      this.openGroup(true);
      this.pos = end + 1;
      return;
    }
    this.pos += 2;
    let negated = false;
    let sawFlag = false;
    let flags = this.flags;
    const bad = () => new SyntaxProblem(`invalid or unsupported Perl syntax: ${this.slice(start)}`);
    for (;;) {
      const c = this.at();
      if (c === undefined) throw bad();
      this.pos++;
      const char = String.fromCharCode(c);
      const bit = char === 'i' ? foldCase : char === 's' ? dotNL : char === 'U' ? nonGreedy : char === 'm' ? oneLine : 0;
      if (bit) {
        sawFlag = true;
        // (?m) clears OneLine; the others set their flag.
        flags = negated !== (bit === oneLine) ? flags & ~bit : flags | bit;
      } else if (char === '-') {
        if (negated) throw bad();
        negated = true;
        sawFlag = false;
      } else if (char === ':') {
        this.openGroup(false);
        break;
      } else if (char === ')') {
        break;
      } else {
        throw bad();
      }
    }
    if (negated && !sawFlag) throw bad();
    this.flags = flags;
  }

  /** {n}, {n,} or {n,m} at the position, or undefined: then "{" is a literal. */
  private counts(): { min: number; max: number } | undefined {
    let pos = this.pos + 1;
    const integer = (): number | undefined => {
      if (!isDigit(this.text[pos])) return undefined;
      // RE2 reads no leading zeros and no number of ten digits or more.
      if (this.text[pos] === 48 && isDigit(this.text[pos + 1])) return undefined;
      let value = 0;
      while (isDigit(this.text[pos])) {
        if (value >= 100_000_000) return undefined;
        value = value * 10 + this.text[pos]! - 48;
        pos++;
      }
      return value;
    };
    const min = integer();
    if (min === undefined || pos >= this.text.length) return undefined;
    let max = min;
    if (this.text[pos] === code(',')) {
      pos++;
      if (pos >= this.text.length) return undefined;
      if (this.text[pos] === code('}')) max = -1;
      else {
        const value = integer();
        if (value === undefined) return undefined;
        max = value;
      }
    }
    if (this.text[pos] !== code('}')) return undefined;
    this.pos = pos + 1;
    return { min, max };
  }

  private repeat(op: 'star' | 'plus' | 'quest', text: string, lazy: boolean): void {
    const items = this.current.items;
    const top = items.at(-1);
    if (!top) throw new SyntaxProblem(`no argument for repetition operator: ${text}`);
    const flags = lazy ? this.flags ^ nonGreedy : this.flags;
    // RE2 squashes a repetition of a repetition with the same flags.
    if ((top.op === 'star' || top.op === 'plus' || top.op === 'quest') && top.flags === flags) {
      if (top.op !== op) items[items.length - 1] = { op: 'star', sub: top.sub, flags };
      return;
    }
    items[items.length - 1] = { op, sub: top, flags };
  }

  private repeatCounted(min: number, max: number, text: string, lazy: boolean): void {
    if ((max !== -1 && max < min) || min > 1000 || max > 1000) throw new SyntaxProblem(`invalid repetition size: ${text}`);
    const items = this.current.items;
    const top = items.at(-1);
    if (!top) throw new SyntaxProblem(`no argument for repetition operator: ${text}`);
    const node: Node = { op: 'repeat', sub: top, min, max, flags: lazy ? this.flags ^ nonGreedy : this.flags };
    items[items.length - 1] = node;
    // Nested counts multiply: RE2 allows 1000 copies of the innermost thing in all.
    if ((min >= 2 || max >= 2) && repetitionAllowance(node, 1000) === 0) throw new SyntaxProblem(`invalid repetition size: ${text}`);
  }

  private backslash(): void {
    const next = this.at(1);
    const char = next === undefined ? '' : String.fromCharCode(next);
    if (char === 'b' || char === 'B') {
      this.push({ op: 'assert' });
      this.pos += 2;
    } else if (char === 'A' || char === 'z') {
      this.push({ op: 'assert', text: char === 'A' ? 'begin' : 'end' });
      this.pos += 2;
    } else if (char === 'C') {
      this.push({ op: 'class', chars: new Uint8Array(256).fill(1), kind: 'any-byte' });
      this.pos += 2;
    } else if (char === 'Q') {
      this.pos += 2;
      this.quotedToEnd = true;
      while (this.pos < this.text.length) {
        if (this.at() === code('\\') && this.at(1) === code('E')) {
          this.pos += 2;
          this.quotedToEnd = false;
          break;
        }
        this.literal(this.at()!);
        this.pos++;
      }
    } else if (char === 'p' || char === 'P') {
      const chars = new Uint8Array(256);
      this.unicodeGroup(chars);
      this.push({ op: 'class', chars });
    } else if (perlGroups.has(char.toLowerCase())) {
      const chars = new Uint8Array(256);
      addGroup(chars, perlGroups.get(char.toLowerCase())!, char !== char.toLowerCase(), this.flags);
      this.push({ op: 'class', chars });
      this.pos += 2;
    } else {
      this.literal(this.escape());
    }
  }

  /** An escaped character (the position at its backslash), as RE2's ParseEscape reads it. */
  private escape(): number {
    const begin = this.pos;
    if (this.left() < 2) throw new SyntaxProblem('trailing \\');
    this.pos++;
    const c = this.text[this.pos++]!;
    const bad = () => new SyntaxProblem(`invalid escape sequence: ${this.slice(begin)}`);
    // \1 … \7 followed by an octal digit, and \0, are octal; another digit is a backreference.
    if (isDigit(c) && c !== 48 && !(isOctal(c) && isOctal(this.at()))) throw new SyntaxProblem(`uses a backreference (${this.slice(begin)}), which RE2 lacks`);
    if (isOctal(c)) {
      let value = c - 48;
      for (let i = 0; i < 2 && isOctal(this.at()); i++) value = value * 8 + this.text[this.pos++]! - 48;
      if (value > 255) throw bad();
      return value;
    }
    if (c === code('x')) {
      let digit = this.text[this.pos++];
      if (digit === code('{')) {
        let value = 0;
        let digits = 0;
        digit = this.text[this.pos++];
        while (isHex(digit)) {
          digits++;
          value = value * 16 + parseInt(String.fromCharCode(digit!), 16);
          if (value > 255 || this.pos >= this.text.length) throw bad();
          digit = this.text[this.pos++];
        }
        if (digit !== code('}') || digits === 0) throw bad();
        return value;
      }
      const second = this.text[this.pos++];
      if (!isHex(digit) || !isHex(second)) throw bad();
      return parseInt(String.fromCharCode(digit!, second!), 16);
    }
    const simple: Record<string, number> = { n: 10, r: 13, t: 9, a: 7, f: 12, v: 11 };
    const char = String.fromCharCode(c);
    if (Object.hasOwn(simple, char)) return simple[char]!;
    // Escaped ASCII punctuation is itself; RE2 refuses the rest (\u, \c, \Z, \e, \k …).
    if (c < 0x80 && !isAlnum(c)) return c;
    if (char === 'k') throw new SyntaxProblem(`uses a backreference (${this.slice(begin)}), which RE2 lacks`);
    throw bad();
  }

  /** \p{Name}, \pN, \P{^Name} … (the position at the backslash) into `chars`. */
  private unicodeGroup(chars: Uint8Array): void {
    const begin = this.pos;
    let negated = this.at(1) === code('P');
    this.pos += 2;
    let name = '';
    if (this.at() === code('{')) {
      const end = this.text.indexOf(code('}'), this.pos);
      if (end < 0) throw new SyntaxProblem(`invalid character class range: ${this.slice(begin, this.text.length)}`);
      name = String.fromCharCode(...this.text.subarray(this.pos + 1, end));
      this.pos = end + 1;
    } else if (this.pos < this.text.length) {
      name = String.fromCharCode(this.text[this.pos++]!);
    }
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    const ranges = unicodeGroups.get(name);
    if (!ranges) throw new SyntaxProblem(`invalid character class range: ${this.slice(begin)}`);
    addGroup(chars, ranges, negated, this.flags);
  }

  private charClass(): Node {
    const whole = this.pos++;
    const chars = new Uint8Array(256);
    const negated = this.at() === code('^');
    if (negated) this.pos++;
    const missing = () => new SyntaxProblem(`missing ]: ${this.slice(whole, this.text.length)}`);
    // A ] first in the class is a literal.
    let first = true;
    while (this.pos < this.text.length && (this.at() !== code(']') || first)) {
      first = false;
      if (this.left() > 2 && this.at() === code('[') && this.at(1) === code(':')) {
        let q = this.pos + 2;
        while (q <= this.text.length - 2 && !(this.text[q] === code(':') && this.text[q + 1] === code(']'))) q++;
        if (q <= this.text.length - 2) {
          const name = String.fromCharCode(...this.text.subarray(this.pos + 2, q));
          const ranges = posixGroups.get(name.replace(/^\^/, ''));
          if (!ranges) throw new SyntaxProblem(`invalid character class range: ${this.slice(this.pos, q + 2)}`);
          addGroup(chars, ranges, name.startsWith('^'), this.flags);
          this.pos = q + 2;
          continue;
        }
      }
      const next = this.at(1);
      if (this.left() > 2 && this.at() === code('\\') && (next === code('p') || next === code('P'))) {
        this.unicodeGroup(chars);
        continue;
      }
      const perl = next === undefined ? undefined : String.fromCharCode(next);
      if (this.at() === code('\\') && perl !== undefined && perlGroups.has(perl.toLowerCase())) {
        addGroup(chars, perlGroups.get(perl.toLowerCase())!, perl !== perl.toLowerCase(), this.flags);
        this.pos += 2;
        continue;
      }
      const start = this.pos;
      const lo = this.classChar(missing);
      let hi = lo;
      if (this.left() >= 2 && this.at() === code('-') && this.at(1) !== code(']')) {
        this.pos++;
        hi = this.classChar(missing);
        if (hi < lo) throw new SyntaxProblem(`invalid character class range: ${this.slice(start)}`);
      }
      addRange(chars, lo, hi, this.flags);
    }
    if (this.pos >= this.text.length) throw missing();
    this.pos++;
    if (negated) for (let c = 0; c < 256; c++) chars[c] = chars[c] ? 0 : 1;
    return { op: 'class', chars };
  }

  private classChar(missing: () => SyntaxProblem): number {
    const c = this.at();
    if (c === undefined) throw missing();
    if (c === code('\\')) return this.escape();
    this.pos++;
    return c;
  }
}

// As RE2 collapses them: a concatenation (alternation) of concatenations (alternations) is one.
function concatOf(items: Node[]): Node {
  const subs = items.flatMap((item) => (item.op === 'concat' ? item.subs : [item]));
  return subs.length === 0 ? { op: 'empty' } : subs.length === 1 ? subs[0]! : { op: 'concat', subs };
}

function collapse(frame: Frame): Node {
  const alternatives = [...frame.alternatives, concatOf(frame.items)].flatMap((item) => (item.op === 'alternate' ? item.subs : [item]));
  return alternatives.length === 1 ? alternatives[0]! : { op: 'alternate', subs: alternatives };
}

function children(node: Node): Node[] {
  if ('subs' in node) return node.subs;
  return 'sub' in node ? [node.sub] : [];
}

/** RE2's RepetitionWalker: 1000 divided by the counts on the way down, the least on any path. */
function repetitionAllowance(node: Node, allowance: number): number {
  let own = allowance;
  if (node.op === 'repeat') {
    const count = node.max < 0 ? node.min : node.max;
    if (count > 0) own = Math.trunc(own / count);
  }
  return Math.min(own, ...children(node).map((child) => repetitionAllowance(child, own)));
}

/** Why RE2 would refuse `pattern` as part of a larger expression, or undefined. */
export function re2Problem(pattern: string): string | undefined {
  if (pattern.length > maxPatternLength) return `is longer than ${maxPatternLength} characters, which Portico accepts at most`;
  const parser = new Parser(pattern);
  const problem = syntaxProblem(parser);
  if (problem) return problem.startsWith('uses ') ? problem : `is not a regular expression RE2 reads (${problem})`;
  // Portico puts the pattern inside its own: a \Q without \E would take the rest as literal text.
  if (parser.quotedToEnd) return 'has a \\Q without its \\E, which Portico needs where it embeds the pattern';
  return undefined;
}

function syntaxProblem(parser: Parser): string | undefined {
  try {
    parser.parse();
    return undefined;
  } catch (error) {
    if (error instanceof SyntaxProblem) return error.message;
    throw error;
  }
}

/**
 * Why Envoy would refuse `regex` as a whole expression, or undefined: RE2's syntax, and the
 * size of its program against Envoy's limit.
 */
export function regexProblem(regex: string): string | undefined {
  const problem = syntaxProblem(new Parser(regex));
  if (problem) return `is not a regular expression RE2 reads (${problem})`;
  const size = programSize(regex);
  return size > maxProgramSize ? `compiles to ${Number.isFinite(size) ? `up to ${size}` : 'thousands of'} RE2 instructions, more than the ${maxProgramSize} Envoy allows` : undefined;
}

/** How many capture groups a valid pattern has (the highest \n a rewrite may use). */
export function captureGroups(pattern: string): number {
  const parser = new Parser(pattern);
  parser.parse();
  return parser.captures;
}

// The compiler model: RE2's instructions, with its fragments and patch lists.
type InstOp = 'fail' | 'match' | 'byte' | 'capture' | 'assert' | 'nop' | 'alt' | 'altmatch';
interface Inst { op: InstOp; out: number; out1: number; lo: number; hi: number }
interface Frag { begin: number; end: number[]; nullable: boolean }

class TooLarge extends Error {}

const noMatch: Frag = { begin: 0, end: [], nullable: false };

class Compiler {
  readonly insts: Inst[] = [{ op: 'fail', out: 0, out1: 0, lo: 0, hi: 0 }];
  // Far beyond any program Envoy takes: past it the count stops.
  private readonly budget = 20 * maxProgramSize + 1000;

  private inst(id: number): Inst {
    return this.insts[id]!;
  }

  private alloc(op: InstOp, out = 0, out1 = 0, lo = 0, hi = 0): number {
    if (this.insts.length >= this.budget) throw new TooLarge();
    this.insts.push({ op, out, out1, lo, hi });
    return this.insts.length - 1;
  }

  private patch(list: readonly number[], target: number): void {
    for (const entry of list) {
      const inst = this.inst(entry >> 1);
      if (entry & 1) inst.out1 = target;
      else inst.out = target;
    }
  }

  cat(a: Frag, b: Frag): Frag {
    if (a.begin === 0 || b.begin === 0) return noMatch;
    const begin = this.inst(a.begin);
    if (begin.op === 'nop' && a.end.length === 1 && a.end[0] === a.begin << 1 && begin.out === 0) {
      this.patch(a.end, b.begin);
      return b;
    }
    this.patch(a.end, b.begin);
    return { begin: a.begin, end: b.end, nullable: a.nullable && b.nullable };
  }

  private alt(a: Frag, b: Frag): Frag {
    if (a.begin === 0) return b;
    if (b.begin === 0) return a;
    return { begin: this.alloc('alt', a.begin, b.begin), end: [...a.end, ...b.end], nullable: a.nullable || b.nullable };
  }

  private loop(a: Frag, lazy: boolean): { id: number; end: number[] } {
    const id = lazy ? this.alloc('alt', 0, a.begin) : this.alloc('alt', a.begin, 0);
    return { id, end: [lazy ? id << 1 : (id << 1) | 1] };
  }

  private plus(a: Frag, lazy: boolean): Frag {
    const { id, end } = this.loop(a, lazy);
    this.patch(a.end, id);
    return { begin: a.begin, end, nullable: a.nullable };
  }

  private star(a: Frag, lazy: boolean): Frag {
    if (a.nullable) return this.quest(this.plus(a, lazy), lazy);
    const { id, end } = this.loop(a, lazy);
    this.patch(a.end, id);
    return { begin: id, end, nullable: true };
  }

  private quest(a: Frag, lazy: boolean): Frag {
    if (a.begin === 0) return this.nop();
    const { id, end } = this.loop(a, lazy);
    return { begin: id, end: [...end, ...a.end], nullable: true };
  }

  byteRange(lo: number, hi: number): Frag {
    const id = this.alloc('byte', 0, 0, lo, hi);
    return { begin: id, end: [id << 1], nullable: false };
  }

  private nop(): Frag {
    const id = this.alloc('nop');
    return { begin: id, end: [id << 1], nullable: true };
  }

  match(): Frag {
    return { begin: this.alloc('match'), end: [], nullable: false };
  }

  dotStar(): Frag {
    return this.star(this.byteRange(0, 255), true);
  }

  /** A class as RE2 compiles it in Latin-1: a byte range per run, A-Z left to the fold flag when the class folds. */
  private charClass(chars: Uint8Array): Frag {
    const ranges: Array<[number, number]> = [];
    for (let c = 0; c < 256; c++) {
      if (!chars[c]) continue;
      const last = ranges.at(-1);
      if (last && last[1] === c - 1) last[1] = c;
      else ranges.push([c, c]);
    }
    if (!ranges.length) return noMatch;
    let folds = true;
    for (let c = 65; c <= 90; c++) if (chars[c] !== chars[c + 32]) folds = false;
    let begin = 0;
    const end: number[] = [];
    for (const [lo, hi] of ranges) {
      if (folds && lo >= 65 && hi <= 90) continue;
      const id = this.alloc('byte', 0, 0, lo, hi);
      end.push(id << 1);
      begin = begin === 0 ? id : this.alloc('alt', begin, id);
    }
    return { begin, end, nullable: false };
  }

  compile(node: Node): Frag {
    switch (node.op) {
      case 'empty':
        return this.nop();
      case 'class':
        return this.charClass(node.chars);
      case 'assert': {
        const id = this.alloc('assert');
        return { begin: id, end: [id << 1], nullable: true };
      }
      case 'capture': {
        const sub = this.compile(node.sub);
        if (sub.begin === 0) return noMatch;
        const id = this.alloc('capture', sub.begin);
        const close = this.alloc('capture');
        this.patch(sub.end, close);
        return { begin: id, end: [close << 1], nullable: sub.nullable };
      }
      case 'concat':
      case 'alternate': {
        const frags = node.subs.map((sub) => this.compile(sub));
        return frags.slice(1).reduce((all, frag) => (node.op === 'concat' ? this.cat(all, frag) : this.alt(all, frag)), frags[0]!);
      }
      case 'star':
        return this.star(this.compile(node.sub), (node.flags & nonGreedy) !== 0);
      case 'plus':
        return this.plus(this.compile(node.sub), (node.flags & nonGreedy) !== 0);
      case 'quest':
        return this.quest(this.compile(node.sub), (node.flags & nonGreedy) !== 0);
      case 'repeat':
        return this.repeat(node);
    }
  }

  /** RE2's simplification of x{n,m}: n copies, then (x(x(x)?)?)? for the rest; x{n,} is n-1 copies and x+. */
  private repeat(node: Extract<Node, { op: 'repeat' }>): Frag {
    const { sub } = node;
    let { min, max } = node;
    // An empty-width assertion (or a run or choice of them) is capped at one copy.
    const emptyWidth = (item: Node) => item.op === 'assert';
    if (emptyWidth(sub) || ((sub.op === 'concat' || sub.op === 'alternate') && sub.subs.every(emptyWidth))) {
      min = Math.min(min, 1);
      max = Math.min(max, 1);
    }
    const lazy = (node.flags & nonGreedy) !== 0;
    const copies = (count: number): Frag | undefined => {
      let all: Frag | undefined;
      for (let i = 0; i < count; i++) {
        const frag = this.compile(sub);
        all = all ? this.cat(all, frag) : frag;
      }
      return all;
    };
    if (max === -1) {
      if (min === 0) return this.star(this.compile(sub), lazy);
      const rest = this.plus(this.compile(sub), lazy);
      const prefix = copies(min - 1);
      return prefix ? this.cat(prefix, rest) : rest;
    }
    if (max === 0) return this.nop();
    if (min === 1 && max === 1) return this.compile(sub);
    const prefix = copies(min);
    let suffix: Frag | undefined;
    for (let i = min; i < max; i++) suffix = this.quest(suffix ? this.cat(this.compile(sub), suffix) : this.compile(sub), lazy);
    if (prefix && suffix) return this.cat(prefix, suffix);
    return prefix ?? suffix!;
  }

  /** Prog::Optimize: edges past no-ops, and the alternations that end a match with "any byte" marked. */
  optimize(start: number): void {
    const walk = (visit: (id: number, inst: Inst) => void) => {
      const queue = [start];
      const queued = new Set(queue);
      for (let k = 0; k < queue.length; k++) {
        const id = queue[k]!;
        const inst = this.inst(id);
        visit(id, inst);
        for (const next of inst.op === 'alt' ? [inst.out, inst.out1] : [inst.out]) {
          if (next !== 0 && !queued.has(next)) {
            queued.add(next);
            queue.push(next);
          }
        }
      }
    };
    const skipNops = (id: number) => {
      while (id !== 0 && this.inst(id).op === 'nop') id = this.inst(id).out;
      return id;
    };
    walk((_, inst) => {
      inst.out = skipNops(inst.out);
      if (inst.op === 'alt') inst.out1 = skipNops(inst.out1);
    });
    const isMatch = (inst: Inst): boolean => {
      while (inst.op === 'capture' || inst.op === 'nop') inst = this.inst(inst.out);
      return inst.op === 'match';
    };
    const anyByteBack = (inst: Inst, id: number) => inst.op === 'byte' && inst.out === id && inst.lo === 0 && inst.hi === 255;
    walk((id, inst) => {
      if (inst.op !== 'alt') return;
      const [j, k] = [this.inst(inst.out), this.inst(inst.out1)];
      if ((anyByteBack(j, id) && isMatch(k)) || (isMatch(j) && anyByteBack(k, id))) inst.op = 'altmatch';
    });
  }

  /** Prog::Flatten's size: each root's list of what it reaches through alternations, another root costing one no-op. */
  flattenedSize(start: number, startUnanchored: number): number {
    const roots = new Map<number, number>();
    const root = (id: number) => {
      if (!roots.has(id)) roots.set(id, roots.size);
    };
    root(0);
    root(startUnanchored);
    root(start);
    const predecessors = new Map<number, number[]>();
    // Walks the tree of `from`, stopping at other roots when `own` is set; returns what it
    // reached. `each` hears of every instruction, and of another root reached as undefined.
    const tree = (from: number, own: boolean, each?: (inst: Inst | undefined, id: number) => void): Set<number> => {
      const reached = new Set<number>();
      const stack = [from];
      while (stack.length) {
        let id = stack.pop()!;
        for (;;) {
          if (reached.has(id)) break;
          reached.add(id);
          if (own && id !== from && roots.has(id)) {
            each?.(undefined, id);
            break;
          }
          const inst = this.inst(id);
          each?.(inst, id);
          if (inst.op === 'alt' || inst.op === 'altmatch') {
            stack.push(inst.out1);
            id = inst.out;
          } else if (inst.op === 'nop') {
            id = inst.out;
          } else {
            if (!own && inst.op !== 'match' && inst.op !== 'fail') {
              root(inst.out);
              id = inst.out;
              continue;
            }
            break;
          }
        }
      }
      return reached;
    };
    tree(startUnanchored, false, (inst, id) => {
      if (inst?.op !== 'alt' && inst?.op !== 'altmatch') return;
      for (const out of [inst.out, inst.out1]) predecessors.set(out, [...(predecessors.get(out) ?? []), id]);
    });
    const sorted = [...roots.keys()].sort((a, b) => a - b);
    for (let i = sorted.length - 1; i > 0; i--) {
      const id = sorted[i]!;
      if (id === start || id === startUnanchored) continue;
      const reached = tree(id, true);
      for (const member of reached) {
        if ((predecessors.get(member) ?? []).some((predecessor) => !reached.has(predecessor))) root(member);
      }
    }
    let size = 0;
    for (const id of roots.keys()) {
      // Alternations and no-ops become the list itself; a reached root, a no-op that jumps there.
      tree(id, true, (inst) => {
        if (inst?.op !== 'alt' && inst?.op !== 'nop') size++;
      });
    }
    return size;
  }
}

/** RE2's IsAnchorStart / IsAnchorEnd: a leading \A (trailing \z) through concatenations and captures, replaced by nothing. */
function withoutAnchor(node: Node, text: 'begin' | 'end', depth = 0): Node | undefined {
  if (depth >= 4) return undefined;
  if (node.op === 'assert') return node.text === text ? { op: 'empty' } : undefined;
  if (node.op === 'capture') {
    const sub = withoutAnchor(node.sub, text, depth + 1);
    return sub && { op: 'capture', sub };
  }
  if (node.op === 'concat' && node.subs.length) {
    const index = text === 'begin' ? 0 : node.subs.length - 1;
    const sub = withoutAnchor(node.subs[index]!, text, depth + 1);
    return sub && { op: 'concat', subs: node.subs.map((item, i) => (i === index ? sub : item)) };
  }
  return undefined;
}

const sameAtom = (a: Node, b: Node) => a.op === 'class' && b.op === 'class' && a.kind === b.kind && a.chars.every((flag, c) => flag === b.chars[c]);
type Repetition = Extract<Node, { op: 'star' | 'plus' | 'quest' | 'repeat' }>;
const isRepetition = (node: Node): node is Repetition => node.op === 'star' || node.op === 'plus' || node.op === 'quest' || node.op === 'repeat';
const countsOf = (node: Repetition): [number, number] =>
  node.op === 'repeat' ? [node.min, node.max] : node.op === 'star' ? [0, -1] : node.op === 'plus' ? [1, -1] : [0, 1];

/** RE2's CoalesceWalker: in a concatenation, x* x, x+ x{2} … become one counted repetition (which can cost more). */
function coalesced(node: Node): Node {
  if (node.op === 'empty' || node.op === 'class' || node.op === 'assert') return node;
  if (node.op === 'capture' || isRepetition(node)) return { ...node, sub: coalesced(node.sub) };
  const subs = node.subs.map(coalesced);
  if (node.op === 'alternate') return { op: 'alternate', subs };
  const mergeable = (a: Node, b: Node) =>
    isRepetition(a) && a.sub.op === 'class' && ((isRepetition(b) && sameAtom(a.sub, b.sub) && (a.flags & nonGreedy) === (b.flags & nonGreedy)) || sameAtom(a.sub, b));
  if (!subs.some((sub, i) => i + 1 < subs.length && mergeable(sub, subs[i + 1]!))) return { op: 'concat', subs };
  for (let i = 0; i + 1 < subs.length; i++) {
    const [a, b] = [subs[i]!, subs[i + 1]!];
    if (!mergeable(a, b) || !isRepetition(a)) continue;
    let [min, max] = countsOf(a);
    const [bMin, bMax] = isRepetition(b) ? countsOf(b) : [1, 1];
    min += bMin;
    max = max === -1 || bMax === -1 ? -1 : max + bMax;
    subs[i] = { op: 'empty' };
    subs[i + 1] = { op: 'repeat', sub: a.sub, min, max, flags: a.flags };
  }
  // RE2 then drops every empty item of the concatenation.
  return { op: 'concat', subs: subs.filter((sub) => sub.op !== 'empty') };
}

/** The program's size for a parsed expression: its anchors taken out, compiled, optimized, flattened. */
function compiledSize(tree: Node): number {
  let node = coalesced(tree);
  const unanchoredStart = withoutAnchor(node, 'begin');
  if (unanchoredStart) node = unanchoredStart;
  node = withoutAnchor(node, 'end') ?? node;
  const compiler = new Compiler();
  try {
    let all = compiler.cat(compiler.compile(node), compiler.match());
    const start = all.begin;
    if (!unanchoredStart) all = compiler.cat(compiler.dotStar(), all);
    if (start === 0 && all.begin === 0) return 1;
    compiler.optimize(start);
    return compiler.flattenedSize(start, all.begin);
  } catch (error) {
    if (error instanceof TooLarge) return Infinity;
    throw error;
  }
}

const isLiteral = (node: Node): boolean => {
  if (node.op !== 'class') return false;
  const chars = [...node.chars.keys()].filter((c) => node.chars[c]);
  return chars.length === 1 || (chars.length === 2 && chars[0]! >= 65 && chars[0]! <= 90 && chars[1] === chars[0]! + 32);
};

/**
 * RE2::Init's RequiredPrefix: for \A then a literal, RE2 compiles only what follows it, and
 * unanchored (which can cost more). The rest after the first literal only: RE2 may take more.
 */
function afterRequiredPrefix(tree: Node): Node | undefined {
  if (tree.op !== 'concat') return undefined;
  const items = tree.subs.flatMap(function flat(node: Node): Node[] {
    return node.op === 'concat' ? node.subs.flatMap(flat) : [node];
  });
  let i = 0;
  while (items[i]?.op === 'assert' && (items[i] as { text?: string }).text === 'begin') i++;
  if (i === 0 || i >= items.length || !isLiteral(items[i]!)) return undefined;
  return concatOf(items.slice(i + 1));
}

/**
 * An upper bound of the size of the program RE2 compiles for a valid `regex` in Envoy
 * (RE2::ProgramSize); Infinity when it is far beyond Envoy's limit.
 */
export function programSize(regex: string): number {
  const tree = new Parser(regex).parse();
  const suffix = afterRequiredPrefix(tree);
  return Math.max(compiledSize(tree), suffix ? compiledSize(suffix) : 0);
}
