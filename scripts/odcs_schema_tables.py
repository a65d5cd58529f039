#!/usr/bin/env python3
"""Generate the tables contract_validate.c walks from the JSON Schemas of a
Bitol standard: src/contract_odcs_tables.c for the Open Data Contract
Standard (ODCS), src/product_odps_tables.c for the Open Data Product
Standard (ODPS).

Each standard publishes one JSON Schema per version in its repository
(bitol-io/open-data-contract-standard, folder schema/, files
odcs-json-schema-v3.0.0.json, -v3.0.1.json, -v3.0.2.json, -v3.1.0.json;
bitol-io/open-data-product-standard, schema/odps-json-schema-v1.0.0.json).
dmesh does not ship those files: this script reads them and writes dmesh's
own compact description of each version, which contract_validate.c walks.

    python3 scripts/odcs_schema_tables.py v3.0.0.json v3.0.1.json \\
        v3.0.2.json v3.1.0.json > src/contract_odcs_tables.c
    python3 scripts/odcs_schema_tables.py --standard ODPS \\
        --document "data product" --alias v0.9.0=v1.0.0 \\
        odps-json-schema-v1.0.0.json > src/product_odps_tables.c

(give the schema files in version order; the version is read from each
file's apiVersion default).  Options:
  --standard NAME   the standard's short name, in messages and in the name
                    of the table set (odcs_standard, odps_standard); ODCS
                    by default
  --document NOUN   what a document of the standard is called in messages
                    ("this contract declares v3.0.2"); contract by default
  --alias A=V       documents that declare apiVersion A are checked against
                    the schema of version V (given as a file).  ODPS v1.0.0
                    lists v0.9.0 among its apiVersions and the standard's
                    own examples, written as v0.9.0, are validated against
                    it; the ODCS schemas list older apiVersions too, which
                    dmesh does not read, so aliases are never implied.
Only the Python standard library is used.

What the tables hold, per version:
  - kinds: one per kind of object (the contract, a server, a schema object,
    a property, a quality rule, ...), with the keys it allows, the keys it
    requires, whether other keys are refused (additionalProperties or
    unevaluatedProperties false), keys it forbids (not: required), at most
    one group of keys of which exactly one must be given (oneOf of single
    required keys), and its conditionals;
  - definitions: for each key, the JSON types it accepts, its enum values,
    a lower bound of 0 (minimum 0 / exclusiveMinimum 0), the kind of an
    object value and the definition of each item of an array value;
  - conditionals (if/then): "when key K has one of these values (or, for
    an if without required, is absent), the kind of the then-branch
    applies": its keys are allowed and checked, its required keys required;
  - for each kind, the kind at the same place in every other version, so
    that a key of another version can be named as such.

$ref, allOf, if/then (with anyOf in the if), oneOf/anyOf of plain types or
of single-required-key objects are resolved.  Anything else is accepted as
it comes (permissive), and listed in the generated file's header.
"""

import json
import sys

TYPE_BITS = {
    'string': 'STD_T_STRING', 'number': 'STD_T_NUMBER',
    'integer': 'STD_T_INTEGER', 'boolean': 'STD_T_BOOLEAN',
    'null': 'STD_T_NULL', 'object': 'STD_T_OBJECT', 'array': 'STD_T_ARRAY',
}
ALL_TYPES = frozenset(TYPE_BITS)

# Keywords that only annotate: nothing to check.
ANNOTATIONS = {'description', 'title', 'examples', 'default', '$comment',
               'deprecated', '$schema'}


class Def:
    """What a value must be."""

    def __init__(self, types=None, enum=None, kind=None, items=None, flags=()):
        self.types = types          # frozenset of type names; None: any
        self.enum = enum            # tuple of strings, or None
        self.kind = kind            # Kind of an object value, or None
        self.items = items          # Def of each array item, or None
        self.flags = frozenset(flags)


ANY = Def()


class Cond:
    def __init__(self, key, values, types, if_absent, then, origin):
        self.key = key
        self.values = values        # tuple of strings, or None
        self.types = types          # frozenset (when values is None)
        self.if_absent = if_absent
        self.then = then            # Frag
        self.origin = origin


class Closure:
    """Keys an object may have: static ones, and more per conditional."""

    def __init__(self, static, conds):
        self.static = set(static)
        self.conds = conds          # {Cond: set of keys}


class Frag:
    """An object schema with $ref and allOf merged in."""

    def __init__(self, ptr):
        self.ptr = ptr
        self.props = {}             # key -> [Def]
        self.required = []
        self.conds = []
        self.oneof = []             # [tuple of keys]
        self.forbidden = []
        self.closures = []

    def add(self, key, d):
        self.props.setdefault(key, []).append(d)

    def merge(self, other):
        for k, ds in other.props.items():
            for d in ds:
                self.add(k, d)
        for r in other.required:
            if r not in self.required:
                self.required.append(r)
        for c in other.conds:
            if c not in self.conds:
                self.conds.append(c)
        for g in other.oneof:
            if g not in self.oneof:
                self.oneof.append(g)
        for f in other.forbidden:
            if f not in self.forbidden:
                self.forbidden.append(f)
        for c in other.closures:
            if c not in self.closures:
                self.closures.append(c)


class Kind:
    def __init__(self, ptr):
        self.ptr = ptr
        self.keys = {}              # key -> Def
        self.required = []
        self.forbidden = []
        self.oneof = ()
        self.conds = []             # [(Cond, Kind)]
        self.closed = False
        self.free = False
        self.where = None
        self.index = None
        self.other = {}


class Schema:
    def __init__(self, path):
        with open(path) as f:
            self.doc = json.load(f)
        api = self.doc['properties']['apiVersion']
        self.version = api.get('default')
        self.frags = {}
        self.kinds = {}
        self.pending = []
        self.notes = []

    def note(self, ptr, what):
        text = '%s: %s' % (ptr, what)
        if text not in self.notes:
            self.notes.append(text)

    def lookup(self, ref):
        if not ref.startswith('#'):
            raise SystemExit('%s: external $ref %s' % (self.version, ref))
        node = self.doc
        for part in ref[1:].split('/'):
            if part:
                node = node[part.replace('~1', '/').replace('~0', '~')]
        return node

    @staticmethod
    def objectlike(node):
        if any(k in node for k in ('properties', 'allOf', 'required', 'if',
                                   'unevaluatedProperties', 'not')):
            return True
        if node.get('additionalProperties') is False:
            return True
        if '$ref' in node and len(set(node) - ANNOTATIONS - {'$ref'}) > 0:
            return True
        if 'oneOf' in node and node.get('type') == 'object':
            return True
        return False

    # ----- values -----

    def value(self, node, ptr):
        """The Def of a value schema."""
        while '$ref' in node and not self.objectlike(node):
            ptr = node['$ref']
            node = self.lookup(ptr)
        types = node.get('type')
        if isinstance(types, str):
            types = frozenset([types])
        elif isinstance(types, list):
            types = frozenset(types)
        enum = None
        if 'enum' in node:
            enum = tuple(node['enum'])
        elif 'const' in node:
            enum = (node['const'],)
        if enum is not None and not all(isinstance(e, str) for e in enum):
            self.note(ptr, 'enum of non-strings not checked')
            enum = None
        flags = set()
        if node.get('minimum') == 0:
            flags.add('STD_F_NONNEG')
        elif 'minimum' in node:
            self.note(ptr, 'minimum %r not checked' % node['minimum'])
        if node.get('exclusiveMinimum') == 0:
            flags.add('STD_F_POSITIVE')
        elif 'exclusiveMinimum' in node:
            self.note(ptr, 'exclusiveMinimum %r not checked' % node['exclusiveMinimum'])
        for kw in ('pattern', 'format', 'minItems', 'maxItems', 'uniqueItems',
                   'maxLength', 'minLength', 'maximum'):
            if kw in node:
                self.note(ptr, '%s not checked' % kw)
        kind = None
        items = None
        if 'items' in node:
            items = self.value(node['items'], ptr + '/items')
        for kw in ('anyOf', 'oneOf'):
            if kw in node and not self.objectlike(node):
                alt = [self.value(b, '%s/%s/%d' % (ptr, kw, i))
                       for i, b in enumerate(node[kw])]
                u = self.union(alt, ptr)
                types = u.types if types is None else (
                    types & u.types if u.types is not None else types)
                enum = enum if enum is not None else u.enum
                kind = kind or u.kind
                items = items or u.items
                flags |= u.flags
        if self.objectlike(node):
            kind = self.kind(node, ptr)
            if types is None:
                types = frozenset(['object'])
        return Def(types, enum, kind, items, flags)

    def union(self, alts, ptr):
        """anyOf / oneOf of value schemas: any one of them."""
        types = set()
        enum = []
        kinds = []
        items = []
        for d in alts:
            if d.types is None:
                return ANY
            types |= d.types
        for d in alts:
            if d.enum is None:
                enum = None
                break
            enum.extend(e for e in d.enum if e not in enum)
        for d in alts:
            if d.kind is not None and d.kind not in kinds:
                kinds.append(d.kind)
            if d.items is not None and d.items not in items:
                items.append(d.items)
        if len(kinds) > 1:
            self.note(ptr, 'alternative object shapes: only the first is checked')
        if len(items) > 1:
            self.note(ptr, 'alternative item shapes: items not checked')
            items = [None]
        flags = set()
        for d in alts:
            flags |= d.flags
        if flags and not all(d.flags == alts[0].flags for d in alts):
            flags = set()
        return Def(frozenset(types), tuple(enum) if enum else None,
                   kinds[0] if kinds else None, items[0] if items else None,
                   flags)

    # ----- objects -----

    def frag(self, node, ptr):
        if ptr in self.frags:
            return self.frags[ptr]
        f = Frag(ptr)
        self.frags[ptr] = f
        if '$ref' in node:
            f.merge(self.frag(self.lookup(node['$ref']), node['$ref']))
        own = node.get('properties', {})
        for k, v in own.items():
            f.add(k, self.value(v, '%s/properties/%s' % (ptr, k)))
        for r in node.get('required', []):
            if r not in f.required:
                f.required.append(r)
        for i, sub in enumerate(node.get('allOf', [])):
            sp = '%s/allOf/%d' % (ptr, i)
            if 'if' in sub:
                self.conditional(f, sub, sp)
            else:
                f.merge(self.frag(sub, sp))
        if 'if' in node:
            self.conditional(f, node, ptr)
        for kw in ('oneOf', 'anyOf'):
            if kw in node:
                self.alternatives(f, node[kw], kw, '%s/%s' % (ptr, kw))
        if 'not' in node:
            n = node['not']
            if set(n) == {'required'} and len(n['required']) == 1:
                f.forbidden.append(n['required'][0])
            else:
                self.note(ptr, 'not: not checked')
        if 'patternProperties' in node or 'dependentRequired' in node:
            self.note(ptr, 'patternProperties/dependentRequired not checked')
        ap = node.get('additionalProperties')
        if ap is False:
            f.closures.append(Closure(own.keys(), {}))
        elif isinstance(ap, dict):
            self.note(ptr, 'additionalProperties schema not checked')
        if node.get('unevaluatedProperties') is False:
            f.closures.append(Closure(
                f.props.keys(), {c: set(c.then.props) for c in f.conds}))
        return f

    def conditional(self, f, node, ptr):
        then = self.frag(node.get('then', {}), ptr + '/then')
        if 'else' in node:
            self.note(ptr, 'else branch not checked')
        if then.conds or then.closures:
            self.note(ptr, 'nested conditional or closed then-branch not checked')
        for c in self.conds(node['if'], then, ptr + '/if'):
            f.conds.append(c)

    def conds(self, node, then, ptr):
        rest = set(node) - ANNOTATIONS
        if rest == {'anyOf'}:
            out = []
            for i, b in enumerate(node['anyOf']):
                out.extend(self.conds(b, then, '%s/anyOf/%d' % (ptr, i)))
            return out
        props = node.get('properties', {})
        if rest - {'properties', 'required'} or len(props) != 1:
            self.note(ptr, 'condition not understood: then-branch not applied')
            return []
        (key, s), = props.items()
        req = node.get('required', [])
        values = types = None
        if 'const' in s:
            values = (s['const'],)
        elif 'enum' in s:
            values = tuple(s['enum'])
        elif 'type' in s:
            types = frozenset([s['type']] if isinstance(s['type'], str) else s['type'])
        else:
            self.note(ptr, 'condition not understood: then-branch not applied')
            return []
        return [Cond(key, values, types, key not in req, then, ptr)]

    def alternatives(self, f, branches, kw, ptr):
        keys = []
        for b in branches:
            props = b.get('properties', {})
            if (set(b) - ANNOTATIONS <= {'properties', 'required'} and
                    len(props) == 1 and b.get('required') == list(props)):
                keys.append(list(props)[0])
            else:
                keys = None
                break
        if keys is not None and kw == 'oneOf':
            f.oneof.append(tuple(keys))
            for i, b in enumerate(branches):
                k = keys[i]
                f.add(k, self.value(b['properties'][k], '%s/%d/properties/%s' % (ptr, i, k)))
            return
        self.note(ptr, 'alternative object shapes: their keys are allowed, the choice between them is not checked')
        for i, b in enumerate(branches):
            bf = self.frag(b, '%s/%d' % (ptr, i))
            for k in bf.props:
                f.add(k, ANY)

    def kind(self, node, ptr):
        """The kind of an object schema, finished later (see root): a
        schema's fragments must be complete before a kind is made of them,
        and they may refer to themselves."""
        if ptr in self.kinds:
            return self.kinds[ptr]
        k = Kind(ptr)
        self.kinds[ptr] = k
        self.pending.append((k, node))
        return k

    def finish(self, k, f):
        for key, ds in f.props.items():
            k.keys[key] = self.merge(ds, '%s/properties/%s' % (f.ptr, key))
        k.required = list(f.required)
        k.forbidden = list(f.forbidden)
        if len(f.oneof) > 1:
            self.note(f.ptr, 'more than one oneOf group: only the first is checked')
        k.oneof = f.oneof[0] if f.oneof else ()
        thens = {}
        for c in f.conds:
            t = Kind('%s [%s]' % (f.ptr, c.origin))
            for key, ds in c.then.props.items():
                t.keys[key] = self.merge(ds, c.origin)
            t.required = list(c.then.required)
            t.forbidden = list(c.then.forbidden)
            t.oneof = c.then.oneof[0] if c.then.oneof else ()
            if len(c.then.oneof) > 1:
                self.note(c.origin, 'more than one oneOf group: only the first is checked')
            thens[c] = t
            k.conds.append((c, t))
        if f.closures:
            k.closed = True
            self.close(k, f, thens)
        # A then-branch need not repeat what the kind says already.
        for c, t in k.conds:
            for key in list(t.keys):
                if key in k.keys and same_def(t.keys[key], k.keys[key]):
                    del t.keys[key]
        k.free = (not k.keys and not k.closed and not k.required and
                  not k.conds and not k.oneof and not k.forbidden)

    def close(self, k, f, thens):
        """Keys allowed: in every closure, statically or by a conditional."""
        mentioned = set(k.keys)
        for c in f.conds:
            mentioned |= set(c.then.props)
        static = set()
        by_cond = {c: set() for c in f.conds}
        for key in mentioned:
            sets = []
            for cl in f.closures:
                if key in cl.static:
                    continue
                sets.append(frozenset(c for c, ks in cl.conds.items() if key in ks))
            if not sets:
                static.add(key)
                continue
            allow = sets[0]
            if any(s != allow for s in sets):
                self.note(f.ptr, 'key %s: allowed under any of its conditionals (closures disagree)' % key)
                allow = frozenset().union(*sets)
            for c in allow:
                by_cond[c].add(key)
        for key in list(k.keys):
            if key in static:
                continue
            d = k.keys.pop(key)
            for c in f.conds:
                if key in by_cond[c]:
                    t = thens[c]
                    t.keys[key] = self.merge([d, t.keys[key]], f.ptr) if key in t.keys else d
        for c in f.conds:
            t = thens[c]
            for key in by_cond[c]:
                t.keys.setdefault(key, ANY)
            for key in list(t.keys):
                if key not in by_cond[c] and key not in static:
                    del t.keys[key]

    def merge(self, ds, ptr):
        """All of these definitions: one definition."""
        out = ds[0]
        for d in ds[1:]:
            out = self.merge2(out, d, ptr)
        return out

    def merge2(self, a, b, ptr):
        if a is b or same_def(a, b):
            return a
        types = a.types if b.types is None else (
            b.types if a.types is None else a.types & b.types)
        enum = a.enum if b.enum is None else (
            b.enum if a.enum is None else tuple(e for e in a.enum if e in b.enum))
        kind = a.kind or b.kind
        if a.kind is not None and b.kind is not None and a.kind is not b.kind:
            self.note(ptr, 'two object shapes for one key: only the first is checked')
        items = a.items if b.items is None else (
            b.items if a.items is None else self.merge2(a.items, b.items, ptr))
        return Def(types, enum, kind, items, a.flags | b.flags)

    def root(self):
        root = self.kind(self.doc, '#')
        while self.pending:
            k, node = self.pending.pop(0)
            self.finish(k, self.frag(node, k.ptr))
        return root


def same_def(a, b):
    if a is b:
        return True
    if a is None or b is None:
        return False
    return (a.types == b.types and a.enum == b.enum and a.kind is b.kind and
            a.flags == b.flags and same_def(a.items, b.items))


def descends(d):
    """Does a value of this Def hold objects that are checked?"""
    return d is not None and ((d.kind is not None and not d.kind.free) or descends(d.items))


def deep(d):
    """Does checking a value of this Def descend two levels or more, so
    that checking it twice could double again below?"""
    if d is None:
        return False
    if d.kind is not None and not d.kind.free and any(descends(e) for _, e in all_keys(d.kind)):
        return True
    return deep(d.items)


# ----------------------------------------------------------------------
# Output
# ----------------------------------------------------------------------

def c_string(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def c_types(types):
    if types is None:
        return 'STD_T_ANY'
    return ' | '.join(TYPE_BITS[t] for t in sorted(types, key=list(TYPE_BITS).index))


class Emitter:
    def __init__(self, schemas, document):
        self.schemas = schemas
        self.root_where = '(%s)' % document
        self.strings = []
        self.string_index = {}
        self.defs = []
        self.def_index = {}
        self.keys = []
        self.conds = []
        self.kinds = []             # Kind, in index order

    def string_list(self, items):
        """A run of strings in the string pool (reused when equal)."""
        items = tuple(items)
        if not items:
            return (0, 0)
        if items in self.string_index:
            return self.string_index[items]
        first = len(self.strings)
        self.strings.extend(items)
        self.string_index[items] = (first, len(items))
        return (first, len(items))

    def number_kinds(self, version, root):
        """Kinds of one version in breadth-first order from the root."""
        order = [root]
        root.where = self.root_where
        seen = {root}
        i = 0
        while i < len(order):
            k = order[i]
            i += 1
            subs = [(key, d, '') for key, d in sorted(k.keys.items())]
            for c, t in k.conds:
                t.where = '%s when %s %s' % (k.where, c.key, cond_text(c))
                if t not in seen:
                    seen.add(t)
                    order.append(t)
                subs.extend((key, d, '') for key, d in sorted(t.keys.items()))
            for key, d, _ in subs:
                base = key if k.where == self.root_where else '%s.%s' % (
                    k.where.split(' when ')[0], key)
                for sub, where in ((d.kind, base),
                                   (d.items.kind if d.items else None, base + '[]'),
                                   (d.items.items.kind if d.items and d.items.items else None, base + '[][]')):
                    if sub is not None and not sub.free and sub not in seen:
                        seen.add(sub)
                        sub.where = where
                        order.append(sub)
        for k in order:
            k.index = len(self.kinds)
            k.version = version
            self.kinds.append(k)
        return order

    def def_of(self, d):
        kind = d.kind if d is not None and d.kind is not None and not d.kind.free else None
        if d is None or (d.types is None and d.enum is None and kind is None and
                         d.items is None and not d.flags):
            return -1
        items = self.def_of(d.items)
        enum = self.string_list(d.enum or ())
        sig = (c_types(d.types), tuple(sorted(d.flags)), enum,
               kind.index if kind is not None else -1, items)
        if sig in self.def_index:
            return self.def_index[sig]
        self.def_index[sig] = len(self.defs)
        self.defs.append(sig)
        return self.def_index[sig]


def cond_text(c):
    if c.values is not None:
        text = 'is ' + ' or '.join('"%s"' % v for v in c.values)
    else:
        text = 'is %s' % ' or '.join(sorted(c.types))
    if c.if_absent:
        text += ' or absent'
    return text


def pair(emitter, versions):
    """For each kind, the kind at the same place in every other version."""
    for vi, (sa, ra) in enumerate(versions):
        for vj, (sb, rb) in enumerate(versions):
            if vi == vj:
                continue
            queue = [(ra, rb)]
            seen = set()
            while queue:
                a, b = queue.pop(0)
                if (a, b) in seen:
                    continue
                seen.add((a, b))
                a.other.setdefault(vj, b)
                if a.other[vj] is not b:
                    continue
                for c, t in a.conds:
                    for c2, t2 in b.conds:
                        if c2.key == c.key and c2.values == c.values and c2.types == c.types:
                            queue.append((t, t2))
                            break
                for key, d in all_keys(a):
                    d2 = find_key(b, key)
                    if d2 is None:
                        continue
                    for x, y in ((d.kind, d2.kind),
                                 (d.items.kind if d.items else None,
                                  d2.items.kind if d2.items else None)):
                        if x is not None and y is not None:
                            queue.append((x, y))


def all_keys(k):
    out = list(sorted(k.keys.items()))
    for _, t in k.conds:
        out.extend(sorted(t.keys.items()))
    return out


def find_key(k, key):
    if key in k.keys:
        return k.keys[key]
    for _, t in k.conds:
        if key in t.keys:
            return t.keys[key]
    return None


def check_linear(schema, kinds):
    """A value is checked against several definitions only when at most one
    of them descends further: checking stays linear in the document."""
    for k in kinds:
        keys = {}
        for key, d in all_keys(k):
            keys.setdefault(key, []).append(d)
        for key, ds in keys.items():
            distinct = []
            for d in ds:
                if deep(d) and not any(same_def(d, e) for e in distinct):
                    distinct.append(d)
            if len(distinct) > 1:
                raise SystemExit('%s: %s.%s has %d deep definitions' %
                                 (schema.version, k.where, key, len(distinct)))


USAGE = """usage: odcs_schema_tables.py [--standard NAME] [--document NOUN]
                             [--alias APIVERSION=VERSION ...] SCHEMA.json ..."""


def parse_args(argv):
    opts = {'standard': 'ODCS', 'document': 'contract', 'aliases': []}
    paths = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ('--standard', '--document', '--alias'):
            if i + 1 >= len(argv):
                sys.exit(USAGE)
            value = argv[i + 1]
            if a == '--alias':
                if '=' not in value:
                    sys.exit(USAGE)
                opts['aliases'].append(tuple(value.split('=', 1)))
            else:
                opts[a[2:]] = value
            i += 2
        elif a.startswith('--'):
            sys.exit(USAGE)
        else:
            paths.append(a)
            i += 1
    if not paths:
        sys.exit(__doc__)
    return opts, paths


def main(argv):
    opts, paths = parse_args(argv)
    standard = opts['standard']
    prefix = standard.lower()
    schemas = [Schema(p) for p in paths]
    em = Emitter(schemas, opts['document'])
    versions = []
    for s in schemas:
        root = s.root()
        order = em.number_kinds(s.version, root)
        check_linear(s, order)
        versions.append((s, root))
    pair(em, versions)
    names = [s.version for s in schemas]
    aliases = []
    for api, version in opts['aliases']:
        if version not in names or api in names:
            sys.exit('--alias %s=%s: %s is no version given, or %s is one' %
                     (api, version, version, api))
        aliases.append((api, names.index(version)))
    if len(versions) > 8:
        raise SystemExit('more versions than STD_MAX_VERSIONS')

    if standard == 'ODCS':
        filename = 'contract_odcs_tables.c'
        what = 'contract'
        title = 'the Open Data Contract Standard'
    else:
        filename = 'product_%s_tables.c' % prefix
        what = 'product'
        title = 'the Open Data %s Standard' % ('Product' if standard == 'ODPS' else standard)
    command = ['python3 scripts/odcs_schema_tables.py']
    if standard != 'ODCS':
        command.append('--standard %s' % standard)
    if opts['document'] != 'contract':
        command.append('--document "%s"' % opts['document'])
    for api, version in opts['aliases']:
        command.append('--alias %s=%s' % (api, version))
    files = ['%s-json-schema-%s.json' % (prefix, s.version) for s in schemas]
    lines = []
    line = ''
    for word in command + files:
        if line and len(line) + len(word) > 60:
            lines.append(line)
            line = ''
        line = word if not line else line + ' ' + word
    lines.append(line)

    out = []
    w = out.append
    w('/*-------------------------------------------------------------------------')
    w(' *')
    w(' * %s' % filename)
    w(' *\t\tThe keys, types and conditionals of each %s version, as' % standard)
    w(' *\t\tcontract_validate.c walks them.')
    w(' *')
    w(' * GENERATED FILE: do not edit.  Made by scripts/odcs_schema_tables.py from')
    w(' * the JSON Schemas of %s (schema/ in the' % title)
    w(" * standard's repository):")
    w(' *')
    for n, l in enumerate(lines):
        w(' *\t%s%s' % ('' if n == 0 else '\t', l) + ' \\')
    w(' *\t\t> src/%s' % filename)
    w(' *')
    w(' * Versions: %s.' % ', '.join(s.version for s in schemas))
    for api, vi in aliases:
        w(' * Documents that declare %s are checked as %s.' % (api, names[vi]))
    w(' *')
    w(' * Not checked (accepted as written), by schema location:')
    for s in schemas:
        for n in s.notes:
            w(' *\t%s %s' % (s.version, n.replace('*/', '* /')))
    w(' *')
    w(' *-------------------------------------------------------------------------')
    w(' */')
    w('#include "postgres.h"')
    w('')
    w('#include "%s.h"' % what)
    w('')

    # Definitions need kind indexes (set above); keys and conds come per kind.
    kind_rows = []
    for k in em.kinds:
        key_first = len(em.keys)
        for key in sorted(k.keys, key=lambda s: s.encode()):
            em.keys.append((key, em.def_of(k.keys[key])))
        key_count = len(em.keys) - key_first
        cond_first = len(em.conds)
        for c, t in k.conds:
            vals = em.string_list(c.values or ())
            em.conds.append((c.key, vals, c_types(c.types) if c.values is None else '0',
                             c.if_absent, t.index))
        cond_count = len(em.conds) - cond_first
        req = em.string_list(k.required)
        forb = em.string_list(k.forbidden)
        oneof = em.string_list(k.oneof)
        other = []
        for vj in range(len(versions)):
            o = k.other.get(vj)
            other.append(str(o.index) if o is not None else '-1')
        kind_rows.append((k, key_first, key_count, req, forb, oneof,
                          cond_first, cond_count, other))

    w('static const char *const strings[] = {')
    for i, s in enumerate(em.strings):
        w('\t/* %4d */ %s,' % (i, c_string(s)))
    w('};')
    w('')
    w('static const StdDef defs[] = {')
    w('\t/* types, flags, enum first, enum count, kind, items */')
    for i, (types, flags, enum, kind, items) in enumerate(em.defs):
        w('\t/* %4d */ {%s, %s, %d, %d, %d, %d},' % (
            i, types, ' | '.join(flags) if flags else '0', enum[0], enum[1], kind, items))
    w('};')
    w('')
    w('static const StdKey keys[] = {')
    for i, (key, d) in enumerate(em.keys):
        w('\t/* %4d */ {%s, %d},' % (i, c_string(key), d))
    w('};')
    w('')
    if em.conds:
        w('static const StdCond conds[] = {')
        w('\t/* key, values first, values count, types, if absent, then */')
        for i, (key, vals, types, absent, then) in enumerate(em.conds):
            w('\t/* %4d */ {%s, %d, %d, %s, %s, %d},' % (
                i, c_string(key), vals[0], vals[1], types, 'true' if absent else 'false', then))
        w('};')
        w('')
    w('static const StdKind kinds[] = {')
    w('\t/* where, closed, keys, required, forbidden, one of, conds, same kind in each version */')
    for (k, kf, kc, req, forb, oneof, cf, cc, other) in kind_rows:
        w('\t/* %4d %s %s */' % (k.index, k.version, k.where.replace('*/', '* /')))
        w('\t{%s, %s, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, {%s}},' % (
            c_string(k.where), 'true' if k.closed else 'false', kf, kc,
            req[0], req[1], forb[0], forb[1], oneof[0], oneof[1], cf, cc,
            ', '.join(other)))
    w('};')
    w('')
    w('static const StdVersion versions[] = {')
    for s, root in versions:
        w('\t{%s, %d},' % (c_string(s.version), root.index))
    w('};')
    w('')
    if aliases:
        w('static const StdAlias aliases[] = {')
        for api, vi in aliases:
            w('\t{%s, %d},' % (c_string(api), vi))
        w('};')
        w('')
    w('const DmeshStandard %s_standard = {' % prefix)
    w('\t%s, %s,' % (c_string(standard), c_string(opts['document'])))
    w('\tstrings, defs, keys, %s, kinds, lengthof(kinds),' % ('conds' if em.conds else 'NULL'))
    w('\tversions, lengthof(versions),')
    w('\t%s, %s' % (('aliases', 'lengthof(aliases)') if aliases else ('NULL', '0')))
    w('};')
    sys.stdout.write('\n'.join(out) + '\n')


if __name__ == '__main__':
    main(sys.argv[1:])
