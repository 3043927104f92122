// Reduces the JSON Schema of a visit (VisitDocument in api-spec/openapi.yaml)
// to the small tree the field app's form is drawn from: every field, its type,
// whether it may be empty, its enum values and bounds. Run by `npm run gen:api`;
// CI fails when the committed web/shared/visit-schema.json differs, so the form
// cannot miss a field the server takes.
import { readFileSync, writeFileSync } from 'node:fs'
import yaml from 'js-yaml'

const spec = yaml.load(readFileSync(new URL('../../api-spec/openapi.yaml', import.meta.url), 'utf8'))
const schemas = spec.components.schemas

const deref = (s) => (s.$ref ? deref(schemas[s.$ref.split('/').pop()]) : s)

/** `oneOf: [X, null]` and `type: [T, 'null']` both mean "X, or empty". */
function unwrapNull(s) {
  s = deref(s)
  if (s.oneOf) {
    const rest = s.oneOf.filter((o) => deref(o).type !== 'null')
    if (rest.length === 1) return [deref(rest[0]), true, s.description]
  }
  if (Array.isArray(s.type) && s.type.includes('null')) {
    const type = s.type.filter((t) => t !== 'null')
    return [{ ...s, type: type.length === 1 ? type[0] : type }, true, s.description]
  }
  return [s, false, s.description]
}

function node(raw) {
  const [s, nullable] = unwrapNull(raw)
  const base = nullable ? { nullable: true } : {}
  if (s.const !== undefined) return { t: 'const', value: s.const }
  if (s.enum) return { t: 'enum', values: s.enum, ...base }
  switch (s.type) {
    case 'object': {
      const required = new Set(s.required ?? [])
      return {
        t: 'object',
        ...base,
        props: Object.entries(s.properties ?? {}).map(([key, p]) => ({ key, required: required.has(key), ...node(p) })),
      }
    }
    case 'array':
      return {
        t: 'array',
        ...(s.minItems !== undefined ? { min: s.minItems } : {}),
        ...(s.maxItems !== undefined ? { max: s.maxItems } : {}),
        items: node(s.items),
      }
    case 'integer':
    case 'number':
      return {
        t: s.type,
        ...base,
        ...(s.minimum !== undefined ? { min: s.minimum } : {}),
        ...(s.maximum !== undefined ? { max: s.maximum } : {}),
      }
    case 'boolean':
      return { t: 'boolean', ...base }
    case 'string':
      return { t: 'string', ...base, ...(s.format ? { format: s.format } : {}) }
    default:
      // `value` of a revisit answer: a string whose values depend on its code.
      return { t: 'string', ...base }
  }
}

const out = new URL('../shared/visit-schema.json', import.meta.url)
writeFileSync(out, JSON.stringify(node(schemas.VisitDocument), null, 1) + '\n')
console.log(`wrote ${out.pathname}`)
