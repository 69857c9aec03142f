import { expect } from 'chai';
import { knownAnnotations, nginxPrefix, porticoPrefix, readAnnotations, type IngressAnnotations } from './annotations.ts';

const nginx = (name: string): string => `${nginxPrefix}${name}`;
const portico = (name: string): string => `${porticoPrefix}${name}`;

/** The settings of annotations under ingress-nginx's prefix, which must have no problems. */
function settingsOf(annotations: Record<string, string>): IngressAnnotations {
  const result = readAnnotations(Object.fromEntries(Object.entries(annotations).map(([name, value]) => [nginx(name), value])));
  expect(result.problems, 'problems').to.deep.equal([]);
  return result.settings;
}

/** The one problem of a bad value under ingress-nginx's prefix: it names the key, the value and each of `allowed`. */
function problemOf(annotations: Record<string, string>, bad: string, ...allowed: string[]): IngressAnnotations {
  const result = readAnnotations(Object.fromEntries(Object.entries(annotations).map(([name, value]) => [nginx(name), value])));
  expect(result.problems, 'problems').to.have.length(1);
  const [problem] = result.problems;
  expect(problem!.annotation).to.equal(nginx(bad));
  expect(problem!.message).to.include(nginx(bad)).and.include(JSON.stringify(annotations[bad]));
  for (const text of allowed) expect(problem!.message).to.include(text);
  return result.settings;
}

describe('Ingress annotations', () => {
  describe('without annotations', () => {
    it('reads nothing from none', () => {
      for (const annotations of [undefined, {}]) {
        expect(readAnnotations(annotations)).to.deep.equal({ settings: {}, problems: [], unknown: [] });
      }
    });

    it('ignores annotations under other prefixes', () => {
      const result = readAnnotations({ 'kubernetes.io/ingress.class': 'portico', 'example.com/ssl-redirect': 'yes', 'nginx.ingress.kubernetes.io': 'x' });
      expect(result).to.deep.equal({ settings: {}, problems: [], unknown: [] });
    });

    it('takes an empty value as not set', () => {
      expect(readAnnotations({ [nginx('ssl-redirect')]: '  ', [nginx('limit-rps')]: '' })).to.deep.equal({ settings: {}, problems: [], unknown: [] });
    });
  });

  describe('knownAnnotations', () => {
    it('lists every annotation read, sorted, without prefixes', () => {
      expect(knownAnnotations).to.deep.equal([...knownAnnotations].sort());
      expect(knownAnnotations).to.include.members([
        'ssl-redirect', 'force-ssl-redirect', 'backend-protocol', 'rewrite-target', 'use-regex',
        'proxy-read-timeout', 'proxy-send-timeout', 'proxy-connect-timeout', 'proxy-body-size',
        'whitelist-source-range', 'allowlist-source-range',
        'enable-cors', 'cors-allow-origin', 'cors-allow-methods', 'cors-allow-headers', 'cors-expose-headers', 'cors-allow-credentials', 'cors-max-age',
        'canary', 'canary-weight', 'canary-weight-total', 'canary-by-header', 'canary-by-header-value', 'canary-by-header-pattern', 'canary-by-cookie',
        'auth-url', 'auth-method', 'auth-response-headers',
        'permanent-redirect', 'permanent-redirect-code', 'temporal-redirect', 'temporal-redirect-code',
        'limit-rps', 'limit-burst-multiplier',
      ]);
      expect(knownAnnotations).to.have.length(34);
      expect(knownAnnotations).not.to.include('ssl-passthrough');
      for (const name of knownAnnotations) expect(name).not.to.include('/');
    });

    it('are not unknown under either prefix', () => {
      const annotations = Object.fromEntries(knownAnnotations.flatMap((name) => [[nginx(name), ''], [portico(name), '']]));
      expect(readAnnotations(annotations).unknown).to.deep.equal([]);
    });
  });

  describe('unknown annotations', () => {
    it('are listed with their full keys, sorted, under both prefixes', () => {
      const result = readAnnotations({
        [portico('ssl-passthrough')]: 'true',
        [nginx('ssl-passthrough')]: 'true',
        [nginx('configuration-snippet')]: 'more_set_headers "X: y";',
        [nginx('affinity')]: 'cookie',
        [nginx('toString')]: 'x',
        [nginx('ssl-redirect')]: 'false',
        'kubernetes.io/ingress.class': 'portico',
      });
      expect(result.unknown).to.deep.equal([
        portico('ssl-passthrough'),
        nginx('affinity'),
        nginx('configuration-snippet'),
        nginx('ssl-passthrough'),
        nginx('toString'),
      ]);
      expect(result.settings).to.deep.equal({ sslRedirect: false });
      expect(result.problems).to.deep.equal([]);
    });

    it('include unknown names with empty values', () => {
      expect(readAnnotations({ [nginx('server-snippet')]: '' }).unknown).to.deep.equal([nginx('server-snippet')]);
    });
  });

  describe('prefixes', () => {
    it('reads ingress.portico.dev/ as ingress-nginx’s prefix', () => {
      const result = readAnnotations({ [portico('ssl-redirect')]: 'false', [portico('limit-rps')]: '10' });
      expect(result).to.deep.equal({ settings: { sslRedirect: false, rateLimit: { requestsPerSecond: 10, burst: 50 } }, problems: [], unknown: [] });
    });

    it('lets Portico’s win when both set a name', () => {
      const result = readAnnotations({ [nginx('ssl-redirect')]: 'true', [portico('ssl-redirect')]: 'false', [nginx('proxy-read-timeout')]: '30', [portico('proxy-read-timeout')]: '90' });
      expect(result.settings).to.deep.equal({ sslRedirect: false, proxyReadTimeoutSeconds: 90 });
      // Object order does not matter.
      const reversed = readAnnotations({ [portico('ssl-redirect')]: 'false', [nginx('ssl-redirect')]: 'true' });
      expect(reversed.settings).to.deep.equal({ sslRedirect: false });
    });

    it('does not fall back to ingress-nginx’s value when Portico’s is bad, and names Portico’s key', () => {
      const result = readAnnotations({ [nginx('ssl-redirect')]: 'true', [portico('ssl-redirect')]: 'yes' });
      expect(result.settings).to.deep.equal({});
      expect(result.problems).to.have.length(1);
      expect(result.problems[0]!.annotation).to.equal(portico('ssl-redirect'));
      expect(result.problems[0]!.message).to.include(portico('ssl-redirect')).and.include('"yes"');
    });

    it('ignores ingress-nginx’s value, even a bad one, under Portico’s', () => {
      const result = readAnnotations({ [nginx('ssl-redirect')]: 'yes', [portico('ssl-redirect')]: 'true' });
      expect(result).to.deep.equal({ settings: { sslRedirect: true }, problems: [], unknown: [] });
    });

    it('takes ingress-nginx’s value when Portico’s is empty', () => {
      expect(readAnnotations({ [nginx('ssl-redirect')]: 'false', [portico('ssl-redirect')]: '' }).settings).to.deep.equal({ sslRedirect: false });
    });

    it('mixes names of both prefixes', () => {
      const result = readAnnotations({ [nginx('ssl-redirect')]: 'false', [portico('force-ssl-redirect')]: 'true' });
      expect(result.settings).to.deep.equal({ sslRedirect: false, forceSslRedirect: true });
    });
  });

  describe('booleans', () => {
    const fields = { 'ssl-redirect': 'sslRedirect', 'force-ssl-redirect': 'forceSslRedirect', 'use-regex': 'useRegex' } as const;

    for (const [name, field] of Object.entries(fields)) {
      it(`${name}: true and false as Go's ParseBool takes them`, () => {
        for (const value of ['true', 'True', 'TRUE', 't', '1', ' true ']) expect(settingsOf({ [name]: value })).to.deep.equal({ [field]: true });
        for (const value of ['false', 'False', 'FALSE', 'f', '0']) expect(settingsOf({ [name]: value })).to.deep.equal({ [field]: false });
      });

      it(`${name}: anything else is a problem`, () => {
        for (const value of ['yes', 'on', 'tru', '2']) expect(problemOf({ [name]: value }, name, 'true or false')).to.deep.equal({});
      });
    }

    it('leave the other settings be when one is bad', () => {
      expect(problemOf({ 'ssl-redirect': 'maybe', 'force-ssl-redirect': 'true', 'use-regex': 'false' }, 'ssl-redirect', 'true or false')).to.deep.equal({
        forceSslRedirect: true,
        useRegex: false,
      });
    });
  });

  describe('backend-protocol', () => {
    it('takes HTTP, HTTPS, GRPC and GRPCS in any case, upper-cased', () => {
      expect(settingsOf({ 'backend-protocol': 'HTTP' })).to.deep.equal({ backendProtocol: 'HTTP' });
      expect(settingsOf({ 'backend-protocol': 'https' })).to.deep.equal({ backendProtocol: 'HTTPS' });
      expect(settingsOf({ 'backend-protocol': 'gRPC' })).to.deep.equal({ backendProtocol: 'GRPC' });
      expect(settingsOf({ 'backend-protocol': 'grpcs' })).to.deep.equal({ backendProtocol: 'GRPCS' });
    });

    it('says what Portico supports for the rest', () => {
      for (const value of ['AJP', 'FCGI', 'AUTO_HTTP', 'h2c', 'HTTP2']) {
        expect(problemOf({ 'backend-protocol': value }, 'backend-protocol', 'HTTP, HTTPS, GRPC or GRPCS')).to.deep.equal({});
      }
    });
  });

  describe('rewrite-target and use-regex', () => {
    it('takes paths with groups, and a group first', () => {
      for (const value of ['/', '/$1', '/api/$2/x', '$1', '$1/rest', '/a-b.c_d~e:f/$9']) {
        expect(settingsOf({ 'rewrite-target': value })).to.deep.equal({ rewriteTarget: value });
      }
    });

    it('leaves use-regex as written (the translator draws what rewrite-target implies)', () => {
      expect(settingsOf({ 'rewrite-target': '/$1' })).to.deep.equal({ rewriteTarget: '/$1' });
      expect(settingsOf({ 'rewrite-target': '/$1', 'use-regex': 'false' })).to.deep.equal({ rewriteTarget: '/$1', useRegex: false });
    });

    it('refuses relative paths, nginx variables, $0 and other characters', () => {
      for (const value of ['api/$1', '/$host', '/$0', '$', '/a b', '/x?y=1', '/%20', 'https://a.example.com/']) {
        expect(problemOf({ 'rewrite-target': value }, 'rewrite-target', 'starting with /', '$1 … $9')).to.deep.equal({});
      }
    });
  });

  describe('timeouts', () => {
    const fields = { 'proxy-read-timeout': 'proxyReadTimeoutSeconds', 'proxy-send-timeout': 'proxySendTimeoutSeconds', 'proxy-connect-timeout': 'proxyConnectTimeoutSeconds' } as const;

    for (const [name, field] of Object.entries(fields)) {
      it(`${name}: seconds, bare as ingress-nginx writes them or with nginx's s, m and h`, () => {
        const cases: [string, number][] = [['30', 30], ['1', 1], ['30s', 30], ['2m', 120], ['1h', 3600], ['24h', 86400], ['86400', 86400], ['0090', 90]];
        for (const [value, seconds] of cases) expect(settingsOf({ [name]: value })).to.deep.equal({ [field]: seconds });
      });

      it(`${name}: refuses none, negative, fractional, over 24h and other units`, () => {
        for (const value of ['0', '0s', '-5', '1.5', '25h', '86401', '1441m', '500ms', '1d', '1m30s', 'soon', '30 s']) {
          expect(problemOf({ [name]: value }, name, 'seconds', '86400', 's, m or h')).to.deep.equal({});
        }
      });
    }
  });

  describe('proxy-body-size', () => {
    it('takes bytes with k, m and g in either case; 0 is no limit', () => {
      const cases: [string, number][] = [['0', 0], ['1024', 1024], ['1k', 1024], ['1K', 1024], ['8m', 8 * 1024 ** 2], ['8M', 8 * 1024 ** 2], ['1g', 1024 ** 3], ['3G', 3 * 1024 ** 3], ['4095m', 4095 * 1024 ** 2]];
      for (const [value, bytes] of cases) expect(settingsOf({ 'proxy-body-size': value })).to.deep.equal({ proxyBodySizeBytes: bytes });
    });

    it('refuses other units, fractions, negatives and more than Envoy counts', () => {
      for (const value of ['1b', '1t', '1.5m', '-1', 'm', '8 m', '4g', '4294967296', 'unlimited']) {
        expect(problemOf({ 'proxy-body-size': value }, 'proxy-body-size', 'k, m or g', '0 means no limit')).to.deep.equal({});
      }
    });
  });

  describe('source ranges', () => {
    for (const name of ['whitelist-source-range', 'allowlist-source-range']) {
      it(`${name}: IPv4 and IPv6 CIDRs, normalized; a bare address is one host`, () => {
        expect(settingsOf({ [name]: '198.18.0.0/15' })).to.deep.equal({ sourceRanges: ['198.18.0.0/15'] });
        expect(settingsOf({ [name]: ' 198.18.0.0/24 , 198.18.7.9,198.18.7.9, 2001:DB8:0:0::/32,fd00::1 ,' })).to.deep.equal({
          sourceRanges: ['198.18.0.0/24', '198.18.7.9/32', '2001:db8::/32', 'fd00::1/128'],
        });
        expect(settingsOf({ [name]: '2001:0db8:0000:0000:0001:0000:0000:0000/80' })).to.deep.equal({ sourceRanges: ['2001:db8:0:0:1::/80'] });
        expect(settingsOf({ [name]: '2001:db8:0:1:0:0:0:0/64, fd00::/8, 0.0.0.0/0, ::/0' })).to.deep.equal({ sourceRanges: ['2001:db8:0:1::/64', 'fd00::/8', '0.0.0.0/0', '::/0'] });
        expect(settingsOf({ [name]: '::ffff:198.18.0.1' })).to.deep.equal({ sourceRanges: ['::ffff:c612:1/128'] });
      });

      it(`${name}: host bits set are a problem naming the CIDR and its network; the routes are denied`, () => {
        expect(problemOf({ [name]: '198.18.0.0/24, 198.18.0.1/15' }, name, '"198.18.0.1/15"', 'host bits', '198.18.0.0/15')).to.deep.equal({ denied: [nginx(name)] });
        expect(problemOf({ [name]: '2001:db8::1/32' }, name, '"2001:db8::1/32"', 'host bits', '2001:db8::/32')).to.deep.equal({ denied: [nginx(name)] });
      });

      it(`${name}: refuses what is not an address or CIDR`, () => {
        for (const [value, entry] of [
          ['198.18.0.256', '198.18.0.256'],
          ['198.18.0.0/33', '198.18.0.0/33'],
          ['198.18.0.0/-1', '198.18.0.0/-1'],
          ['198.18.0.0/015', '198.18.0.0/015'],
          ['198.18.0.0/', '198.18.0.0/'],
          ['198.18.0.0/16/1', '198.18.0.0/16/1'],
          ['198.018.0.1', '198.018.0.1'],
          ['fd00::/129', 'fd00::/129'],
          ['fd00::1%eth0', 'fd00::1%eth0'],
          ['fd00:::1', 'fd00:::1'],
          ['198.18.0.0/24 198.18.1.0/24', '198.18.0.0/24 198.18.1.0/24'],
          ['example.com', 'example.com'],
        ] as Array<[string, string]>) {
          expect(problemOf({ [name]: value }, name, JSON.stringify(entry), 'IPv4 or IPv6')).to.deep.equal({ denied: [nginx(name)] });
        }
        expect(problemOf({ [name]: ',' }, name, 'IPv4 or IPv6')).to.deep.equal({ denied: [nginx(name)] });
      });
    }

    it('takes allowlist-source-range over its older name', () => {
      const settings = settingsOf({ 'whitelist-source-range': '198.18.1.0/24', 'allowlist-source-range': '198.18.2.0/24' });
      expect(settings).to.deep.equal({ sourceRanges: ['198.18.2.0/24'] });
      // The unused name is not read, so a bad value there is no problem.
      expect(settingsOf({ 'whitelist-source-range': 'nonsense', 'allowlist-source-range': '198.18.2.0/24' })).to.deep.equal({ sourceRanges: ['198.18.2.0/24'] });
    });

    it('takes either name of Portico’s prefix over both of ingress-nginx’s', () => {
      const result = readAnnotations({ [nginx('allowlist-source-range')]: '198.18.1.0/24', [portico('whitelist-source-range')]: '198.18.2.0/24' });
      expect(result).to.deep.equal({ settings: { sourceRanges: ['198.18.2.0/24'] }, problems: [], unknown: [] });
      const both = readAnnotations({ [portico('allowlist-source-range')]: '198.18.3.0/24', [portico('whitelist-source-range')]: '198.18.2.0/24', [nginx('allowlist-source-range')]: '198.18.1.0/24' });
      expect(both.settings).to.deep.equal({ sourceRanges: ['198.18.3.0/24'] });
    });
  });

  describe('CORS', () => {
    const defaults = {
      allowOrigins: ['*'],
      allowMethods: ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'],
      allowHeaders: ['DNT', 'Keep-Alive', 'User-Agent', 'X-Requested-With', 'If-Modified-Since', 'Cache-Control', 'Content-Type', 'Range', 'Authorization'],
      allowCredentials: true,
      maxAgeSeconds: 1728000,
    };

    it('takes ingress-nginx’s defaults with enable-cors alone', () => {
      expect(settingsOf({ 'enable-cors': 'true' })).to.deep.equal({ cors: defaults });
    });

    it('takes every cors-* annotation written', () => {
      expect(
        settingsOf({
          'enable-cors': 'true',
          'cors-allow-origin': 'https://a.example.com, https://*.example.com:8443,http://B.Example.com:80',
          'cors-allow-methods': 'GET, POST,OPTIONS',
          'cors-allow-headers': 'X-Forwarded-For, X-app123-XPTO',
          'cors-expose-headers': '*, X-CustomResponseHeader',
          'cors-allow-credentials': 'false',
          'cors-max-age': '600',
        }),
      ).to.deep.equal({
        cors: {
          allowOrigins: ['https://a.example.com', 'https://*.example.com:8443', 'http://b.example.com:80'],
          allowMethods: ['GET', 'POST', 'OPTIONS'],
          allowHeaders: ['X-Forwarded-For', 'X-app123-XPTO'],
          exposeHeaders: ['*', 'X-CustomResponseHeader'],
          allowCredentials: false,
          maxAgeSeconds: 600,
        },
      });
    });

    it('takes * among origins as every origin, and null and other schemes as ingress-nginx', () => {
      expect(settingsOf({ 'enable-cors': 'true', 'cors-allow-origin': 'https://a.example.com, *' }).cors?.allowOrigins).to.deep.equal(['*']);
      expect(settingsOf({ 'enable-cors': 'true', 'cors-allow-origin': 'null, myprotocol://example.org:1199' }).cors?.allowOrigins).to.deep.equal(['null', 'myprotocol://example.org:1199']);
      expect(settingsOf({ 'enable-cors': 'true', 'cors-max-age': '0' }).cors?.maxAgeSeconds).to.equal(0);
    });

    it('ignores cors-* without enable-cors: true, bad values included, and does not list them as unknown', () => {
      for (const enable of [{}, { 'enable-cors': 'false' }]) {
        const result = readAnnotations(Object.fromEntries(Object.entries({ ...enable, 'cors-allow-origin': 'not an origin', 'cors-max-age': 'x' }).map(([name, value]) => [nginx(name), value])));
        expect(result).to.deep.equal({ settings: {}, problems: [], unknown: [] });
      }
    });

    it('leaves CORS out whole when a cors-* value is bad, so that defaults do not allow more than written', () => {
      const cases: [string, string, string[]][] = [
        ['cors-allow-origin', 'https://a.example.com, a.example.com', ['"a.example.com"', 'scheme://host[:port]']],
        ['cors-allow-origin', 'https://a.example.com:99999', ['"https://a.example.com:99999"', 'origins']],
        ['cors-allow-origin', 'https://a.example.com/path', ['origins']],
        ['cors-allow-origin', 'https://*.*.example.com', ['origins']],
        // Envoy matches a wildcard origin with an expression; a long one passes Envoy's RE2 limit.
        ['cors-allow-origin', `https://*.${'o'.repeat(120)}.com`, ['too long', 'RE2 instructions', 'origins']],
        ['cors-allow-methods', 'GET, P O S T', ['"P O S T"', 'methods']],
        ['cors-allow-headers', 'X-Ok, X:Bad', ['"X:Bad"', 'header names', 'RFC 7230 token']],
        ['cors-expose-headers', 'X-Ok, (bad)', ['"(bad)"', 'header names']],
        ['cors-allow-credentials', 'yes', ['true or false']],
        ['cors-max-age', '-1', ['whole number']],
        ['cors-max-age', '1h', ['whole number']],
      ];
      for (const [name, value, allowed] of cases) {
        expect(problemOf({ 'enable-cors': 'true', 'cors-max-age': '60', [name]: value }, name, ...allowed), `${name}: ${value}`).to.deep.equal({});
      }
    });

    it('is left out with a bad enable-cors', () => {
      expect(problemOf({ 'enable-cors': 'on', 'cors-allow-origin': 'https://a.example.com' }, 'enable-cors', 'true or false')).to.deep.equal({});
    });
  });

  describe('canary', () => {
    it('is read only with canary: true, ignoring canary-* otherwise', () => {
      for (const enable of [{}, { canary: 'false' }]) {
        const result = readAnnotations(Object.fromEntries(Object.entries({ ...enable, 'canary-weight': '500', 'canary-by-header': 'X Bad' }).map(([name, value]) => [nginx(name), value])));
        expect(result).to.deep.equal({ settings: {}, problems: [], unknown: [] });
      }
    });

    it('defaults the weight total to 100 and has no weight unless written', () => {
      expect(settingsOf({ canary: 'true' })).to.deep.equal({ canary: { weightTotal: 100 } });
      expect(settingsOf({ canary: 'true', 'canary-weight': '0' })).to.deep.equal({ canary: { weight: 0, weightTotal: 100 } });
      expect(settingsOf({ canary: 'true', 'canary-weight': '100' })).to.deep.equal({ canary: { weight: 100, weightTotal: 100 } });
    });

    it('takes a weight total and a weight up to it', () => {
      expect(settingsOf({ canary: 'true', 'canary-weight': '250', 'canary-weight-total': '1000' })).to.deep.equal({ canary: { weight: 250, weightTotal: 1000 } });
    });

    it('refuses a weight over the total, and a total that is not a positive whole number', () => {
      expect(problemOf({ canary: 'true', 'canary-weight': '150' }, 'canary-weight', 'canary-weight-total (100)')).to.deep.equal({ canary: { weightTotal: 100 } });
      expect(problemOf({ canary: 'true', 'canary-weight': '-1' }, 'canary-weight', 'whole number')).to.deep.equal({ canary: { weightTotal: 100 } });
      expect(problemOf({ canary: 'true', 'canary-weight': '10%' }, 'canary-weight', 'whole number')).to.deep.equal({ canary: { weightTotal: 100 } });
      expect(problemOf({ canary: 'true', 'canary-weight': '50', 'canary-weight-total': '0' }, 'canary-weight-total', 'whole number from 1')).to.deep.equal({ canary: { weight: 50, weightTotal: 100 } });
    });

    it('takes a header with its value, or its pattern, and a cookie', () => {
      expect(settingsOf({ canary: 'true', 'canary-by-header': 'X-Canary' })).to.deep.equal({ canary: { weightTotal: 100, header: 'X-Canary' } });
      expect(settingsOf({ canary: 'true', 'canary-by-header': 'X-Canary', 'canary-by-header-value': 'blue green' })).to.deep.equal({
        canary: { weightTotal: 100, header: 'X-Canary', headerValue: 'blue green' },
      });
      expect(settingsOf({ canary: 'true', 'canary-by-header': 'X-Canary', 'canary-by-header-pattern': '^(?:blue|green)-[0-9]+$' })).to.deep.equal({
        canary: { weightTotal: 100, header: 'X-Canary', headerPattern: '^(?:blue|green)-[0-9]+$' },
      });
      expect(settingsOf({ canary: 'true', 'canary-by-header': 'X-Canary', 'canary-by-header-pattern': '(?i)blue' }).canary?.headerPattern).to.equal('(?i)blue');
      expect(settingsOf({ canary: 'true', 'canary-by-cookie': 'use_canary', 'canary-weight': '10' })).to.deep.equal({ canary: { weight: 10, weightTotal: 100, cookie: 'use_canary' } });
    });

    it('ignores the pattern beside a value, and both without a header, as ingress-nginx', () => {
      expect(settingsOf({ canary: 'true', 'canary-by-header': 'X-Canary', 'canary-by-header-value': 'yes', 'canary-by-header-pattern': '(?<=bad)' })).to.deep.equal({
        canary: { weightTotal: 100, header: 'X-Canary', headerValue: 'yes' },
      });
      expect(settingsOf({ canary: 'true', 'canary-by-header-value': 'yes', 'canary-by-header-pattern': 'y.*' })).to.deep.equal({ canary: { weightTotal: 100 } });
    });

    it('refuses header and cookie names that are not tokens, and values that are not printable', () => {
      expect(problemOf({ canary: 'true', 'canary-by-header': 'X Canary', 'canary-weight': '5' }, 'canary-by-header', 'RFC 7230 token')).to.deep.equal({ canary: { weight: 5, weightTotal: 100 } });
      expect(problemOf({ canary: 'true', 'canary-by-header': 'X-Canary:' }, 'canary-by-header', 'header name')).to.deep.equal({ canary: { weightTotal: 100 } });
      expect(problemOf({ canary: 'true', 'canary-by-cookie': 'a=b' }, 'canary-by-cookie', 'cookie name', 'RFC 7230 token')).to.deep.equal({ canary: { weightTotal: 100 } });
      expect(problemOf({ canary: 'true', 'canary-by-header': 'X-Canary', 'canary-by-header-value': 'blü' }, 'canary-by-header-value', 'printable ASCII')).to.deep.equal({
        canary: { weightTotal: 100, header: 'X-Canary' },
      });
    });

    it('refuses patterns that are not regular expressions or use what RE2 lacks', () => {
      const cases: [string, string][] = [
        ['(unclosed', 'not a regular expression'],
        ['(?<=v)1', 'lookbehind'],
        ['(?<!v)1', 'lookbehind'],
        ['v(?=1)', 'lookahead'],
        ['v(?!1)', 'lookahead'],
        ['(a)\\1', 'backreference'],
        // RE2 refuses \1 in a class too (Envoy: "invalid escape sequence").
        ['[\\1]', 'backreference'],
        ['(?<n>a)\\k<n>', 'backreference'],
        ['x'.repeat(1025), 'longer than 1024'],
        // JavaScript takes these; RE2 does not.
        ['\\u0041', 'invalid escape sequence'],
        ['\\cA', 'invalid escape sequence'],
        ['a\\Z', 'invalid escape sequence'],
        ['a{1001}', 'invalid repetition size'],
        ['(a{100}){11}', 'invalid repetition size'],
        // Searched as Envoy does it (.*(?:…).*), too large for Envoy's RE2 limit.
        ['h'.repeat(120), 'RE2 instructions'],
      ];
      for (const [pattern, why] of cases) {
        expect(problemOf({ canary: 'true', 'canary-by-header': 'X-Canary', 'canary-by-header-pattern': pattern }, 'canary-by-header-pattern', why, 'RE2'), pattern).to.deep.equal({
          canary: { weightTotal: 100, header: 'X-Canary' },
        });
      }
    });

    it('refuses a cookie name too long for the expression Envoy matches cookies with', () => {
      expect(problemOf({ canary: 'true', 'canary-by-cookie': 'k'.repeat(80) }, 'canary-by-cookie', 'too long', 'RE2 instructions')).to.deep.equal({ canary: { weightTotal: 100 } });
      expect(settingsOf({ canary: 'true', 'canary-by-cookie': 'k'.repeat(60) }).canary?.cookie).to.equal('k'.repeat(60));
    });

    it('takes what only looks like lookaround or backreferences, and what RE2 has that JavaScript lacks', () => {
      for (const pattern of ['[(?=]x', '\\(?=x\\)', '[]?=]', 'a\\\\1', '(?P<v>v[0-9])', '\\pL+', 'x\\Qa.b\\E']) {
        expect(settingsOf({ canary: 'true', 'canary-by-header': 'X-Canary', 'canary-by-header-pattern': pattern }).canary?.headerPattern, pattern).to.equal(pattern);
      }
    });

    it('is left out with a bad canary', () => {
      expect(problemOf({ canary: 'yes', 'canary-weight': '10' }, 'canary', 'true or false')).to.deep.equal({});
    });
  });

  describe('auth-url', () => {
    it('takes an https or http URL, with the port its scheme defaults to', () => {
      expect(settingsOf({ 'auth-url': 'https://auth.example.com/oauth2/auth' })).to.deep.equal({
        authorization: { url: 'https://auth.example.com/oauth2/auth', scheme: 'https', host: 'auth.example.com', port: 443, path: '/oauth2/auth' },
      });
      expect(settingsOf({ 'auth-url': 'http://oauth2-proxy.auth.svc.cluster.local' }).authorization).to.deep.equal({
        url: 'http://oauth2-proxy.auth.svc.cluster.local',
        scheme: 'http',
        host: 'oauth2-proxy.auth.svc.cluster.local',
        port: 80,
        path: '/',
      });
    });

    it('takes a port, an address, and a query', () => {
      expect(settingsOf({ 'auth-url': 'http://198.18.0.10:4180/check?rd=1' }).authorization).to.include({ host: '198.18.0.10', port: 4180, path: '/check?rd=1' });
      expect(settingsOf({ 'auth-url': 'https://[2001:db8::10]:8443/auth' }).authorization).to.include({ host: '2001:db8::10', port: 8443, path: '/auth' });
    });

    it('takes auth-method and auth-response-headers along', () => {
      expect(settingsOf({ 'auth-url': 'https://auth.example.com/auth', 'auth-method': 'POST', 'auth-response-headers': 'X-Auth-Request-User, X-Auth-Request-Email,' }).authorization).to.deep.equal({
        url: 'https://auth.example.com/auth',
        scheme: 'https',
        host: 'auth.example.com',
        port: 443,
        path: '/auth',
        method: 'POST',
        responseHeaders: ['X-Auth-Request-User', 'X-Auth-Request-Email'],
      });
    });

    it('ignores auth-method and auth-response-headers without auth-url', () => {
      expect(readAnnotations({ [nginx('auth-method')]: 'bogus', [nginx('auth-response-headers')]: 'X Bad' })).to.deep.equal({ settings: {}, problems: [], unknown: [] });
    });

    it('denies the routes for a bad auth-url, naming what is allowed', () => {
      const cases: [string, string][] = [
        ['/oauth2/auth', 'absolute http or https URL'],
        ['auth.example.com/auth', 'absolute http or https URL'],
        ['ftp://auth.example.com/auth', 'ftp'],
        ['https://$host/oauth2/auth', 'nginx variable'],
        ['https://user:secret@auth.example.com/auth', 'credentials'],
        ['https://auth.example.com/a b', 'white space'],
        ['https://auth.example.com:99999/', 'absolute'],
      ];
      for (const [value, why] of cases) {
        expect(problemOf({ 'auth-url': value, 'auth-method': 'GET' }, 'auth-url', why, 'http or https'), value).to.deep.equal({ denied: [nginx('auth-url')] });
      }
    });

    it('denies the routes for a bad auth-method or auth-response-headers', () => {
      expect(problemOf({ 'auth-url': 'https://auth.example.com/', 'auth-method': 'get' }, 'auth-method', 'GET, HEAD, POST')).to.deep.equal({ denied: [nginx('auth-method')] });
      expect(problemOf({ 'auth-url': 'https://auth.example.com/', 'auth-response-headers': 'X-User, X User' }, 'auth-response-headers', '"X User"', 'header names')).to.deep.equal({
        denied: [nginx('auth-response-headers')],
      });
    });

    it('denies for source ranges and authorization together', () => {
      const result = readAnnotations({ [nginx('auth-url')]: 'gopher://x', [portico('allowlist-source-range')]: '198.18.0.1/8', [nginx('ssl-redirect')]: 'false' });
      expect(result.settings).to.deep.equal({ sslRedirect: false, denied: [portico('allowlist-source-range'), nginx('auth-url')] });
      expect(result.problems.map((problem) => problem.annotation)).to.have.members([portico('allowlist-source-range'), nginx('auth-url')]);
    });
  });

  describe('redirects', () => {
    it('permanent-redirect: 301 unless permanent-redirect-code says otherwise', () => {
      expect(settingsOf({ 'permanent-redirect': 'https://www.example.com/new?x=1' })).to.deep.equal({ redirect: { url: 'https://www.example.com/new?x=1', status: 301 } });
      for (const status of [301, 302, 303, 307, 308]) {
        expect(settingsOf({ 'permanent-redirect': 'http://example.com', 'permanent-redirect-code': String(status) })).to.deep.equal({ redirect: { url: 'http://example.com', status } });
      }
    });

    it('temporal-redirect: 302 unless temporal-redirect-code says otherwise', () => {
      expect(settingsOf({ 'temporal-redirect': 'https://example.com/maintenance' })).to.deep.equal({ redirect: { url: 'https://example.com/maintenance', status: 302 } });
      expect(settingsOf({ 'temporal-redirect': 'https://example.com/', 'temporal-redirect-code': '307' })).to.deep.equal({ redirect: { url: 'https://example.com/', status: 307 } });
    });

    it('lets permanent-redirect win over temporal-redirect', () => {
      expect(settingsOf({ 'temporal-redirect': 'https://t.example.com/', 'temporal-redirect-code': 'bad', 'permanent-redirect': 'https://p.example.com/' })).to.deep.equal({
        redirect: { url: 'https://p.example.com/', status: 301 },
      });
      expect(problemOf({ 'temporal-redirect': 'https://t.example.com/', 'permanent-redirect': '/relative' }, 'permanent-redirect', 'absolute http or https URL')).to.deep.equal({});
    });

    it('ignores the codes without their redirects', () => {
      expect(settingsOf({ 'permanent-redirect-code': '999', 'temporal-redirect-code': 'x' })).to.deep.equal({});
    });

    it('refuses other codes, keeping the default', () => {
      for (const value of ['300', '304', '200', '399', 'moved']) {
        expect(problemOf({ 'permanent-redirect': 'https://example.com/', 'permanent-redirect-code': value }, 'permanent-redirect-code', '301, 302, 303, 307, 308')).to.deep.equal({
          redirect: { url: 'https://example.com/', status: 301 },
        });
      }
      expect(problemOf({ 'temporal-redirect': 'https://example.com/', 'temporal-redirect-code': '308' }, 'temporal-redirect-code', '301, 302, 303, 307')).to.deep.equal({
        redirect: { url: 'https://example.com/', status: 302 },
      });
    });

    it('refuses URLs that are not absolute http or https', () => {
      for (const value of ['/new', 'example.com/new', 'mailto:a@example.com', 'https://$host/new', 'https://example.com/a b']) {
        expect(problemOf({ 'temporal-redirect': value }, 'temporal-redirect', 'absolute http or https URL'), value).to.deep.equal({});
      }
    });
  });

  describe('rate limits', () => {
    it('limit-rps with a burst of 5 times it unless limit-burst-multiplier says otherwise', () => {
      expect(settingsOf({ 'limit-rps': '10' })).to.deep.equal({ rateLimit: { requestsPerSecond: 10, burst: 50 } });
      expect(settingsOf({ 'limit-rps': '10', 'limit-burst-multiplier': '2' })).to.deep.equal({ rateLimit: { requestsPerSecond: 10, burst: 20 } });
      expect(settingsOf({ 'limit-rps': '1', 'limit-burst-multiplier': '1' })).to.deep.equal({ rateLimit: { requestsPerSecond: 1, burst: 1 } });
    });

    it('refuses a rate that is not a positive whole number', () => {
      for (const value of ['0', '-1', '1.5', '10r/s', '1000001']) expect(problemOf({ 'limit-rps': value }, 'limit-rps', 'whole number from 1 to 1000000')).to.deep.equal({});
    });

    it('keeps the default multiplier in place of a bad one, and ignores one without limit-rps', () => {
      expect(problemOf({ 'limit-rps': '4', 'limit-burst-multiplier': '0' }, 'limit-burst-multiplier', 'whole number from 1')).to.deep.equal({ rateLimit: { requestsPerSecond: 4, burst: 20 } });
      expect(settingsOf({ 'limit-burst-multiplier': '3' })).to.deep.equal({});
    });
  });

  it('reads many annotations at once, each problem on its own', () => {
    const result = readAnnotations({
      [nginx('ssl-redirect')]: 'false',
      [nginx('backend-protocol')]: 'FCGI',
      [nginx('proxy-read-timeout')]: '120',
      [portico('proxy-read-timeout')]: '2m',
      [nginx('proxy-body-size')]: '16m',
      [nginx('limit-rps')]: 'fast',
      [nginx('ssl-passthrough')]: 'true',
    });
    expect(result.settings).to.deep.equal({ sslRedirect: false, proxyReadTimeoutSeconds: 120, proxyBodySizeBytes: 16 * 1024 ** 2 });
    expect(result.problems.map((problem) => problem.annotation)).to.have.members([nginx('backend-protocol'), nginx('limit-rps')]);
    expect(result.unknown).to.deep.equal([nginx('ssl-passthrough')]);
  });
});
