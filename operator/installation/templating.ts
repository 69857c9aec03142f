// Handlebars as the templates use it: strict (a typo fails loudly), no HTML escaping, and a
// `json` helper that puts every value into the YAML as JSON, which YAML reads as it is.
import Handlebars from 'handlebars';

const handlebars = Handlebars.create();
handlebars.registerHelper('json', (value: unknown) => new Handlebars.SafeString(JSON.stringify(value ?? null)));

export function compileTemplate(text: string): Handlebars.TemplateDelegate {
  return handlebars.compile(text, { noEscape: true, strict: true });
}
