#include "yamltree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Simple arena: a list of blocks, freed together. */
typedef struct ablock {
	struct ablock *next;
	size_t used, cap;
	max_align_t data[];
} ablock;

static void *arena_alloc(nb_ydoc *d, size_t n)
{
	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	ablock *b = d->arena;
	if (!b || b->used + n > b->cap) {
		size_t cap = n > 65536 ? n : 65536;
		ablock *nb = nb_xmalloc(sizeof *nb + cap);
		nb->next = b;
		nb->used = 0;
		nb->cap = cap;
		d->arena = nb;
		b = nb;
	}
	void *p = (char *)b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

static char *arena_strndup(nb_ydoc *d, const char *s, size_t n)
{
	char *p = arena_alloc(d, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void nb_ydoc_free(nb_ydoc *d)
{
	if (!d)
		return;
	ablock *b = d->arena;
	while (b) {
		ablock *next = b->next;
		free(b);
		b = next;
	}
	free(d->file);
	free(d->src);
	free(d);
}

typedef struct anchor {
	char *name;
	nb_ynode *node;
} anchor;

typedef struct builder {
	nb_ydoc *doc;
	yaml_parser_t parser;
	anchor *anchors;
	size_t nanchors, capanchors;
	size_t nodes;
	size_t cur_char, cur_byte; /* a cursor for mapping libyaml's character indices to bytes */
} builder;

/* libyaml's marks count characters; the source slices of nodes need bytes. */
static size_t byte_offset(builder *b, size_t index)
{
	const unsigned char *s = (const unsigned char *)b->doc->src;
	size_t n = b->doc->srclen;
	if (index < b->cur_char) {
		b->cur_char = 0;
		b->cur_byte = 0;
	}
	while (b->cur_char < index && b->cur_byte < n) {
		b->cur_byte++;
		while (b->cur_byte < n && (s[b->cur_byte] & 0xC0) == 0x80)
			b->cur_byte++;
		b->cur_char++;
	}
	return b->cur_byte;
}

static nb_loc mark_loc(const builder *b, yaml_mark_t m)
{
	return (nb_loc){b->doc->file, (int)m.line + 1, (int)m.column + 1};
}

/* The source line holding byte offset off has a tab in its indentation? */
static int tab_in_indent(const nb_ydoc *d, int line, int *col)
{
	const char *s = d->src;
	int l = 1;
	size_t i = 0;
	while (l < line && i < d->srclen) {
		if (s[i++] == '\n')
			l++;
	}
	for (int c = 1; i < d->srclen && (s[i] == ' ' || s[i] == '\t' || s[i] == '-'); i++, c++) {
		if (s[i] == '\t') {
			*col = c;
			return 1;
		}
	}
	return 0;
}

static int parser_error(builder *b, nb_err *e)
{
	yaml_parser_t *p = &b->parser;
	nb_loc at = mark_loc(b, p->problem_mark);
	int tcol;
	if (p->error == YAML_SCANNER_ERROR && tab_in_indent(b->doc, at.line, &tcol)) {
		at.col = tcol;
		return nb_err_set(e, at, "tab character in indentation: YAML indents with spaces only");
	}
	if (p->error == YAML_READER_ERROR) {
		/* the reader reports a byte offset, not a line */
		size_t off = p->problem_offset;
		int line = 1, col = 1;
		for (size_t i = 0; i < off && i < b->doc->srclen; i++) {
			if (b->doc->src[i] == '\n') {
				line++;
				col = 1;
			} else if (((unsigned char)b->doc->src[i] & 0xC0) != 0x80) {
				col++;
			}
		}
		at.line = line;
		at.col = col;
		if (p->problem_value != -1)
			return nb_err_set(e, at, "invalid YAML: %s (byte 0x%02X); a notebook must be UTF-8 text",
					  p->problem ? p->problem : "unreadable input", (unsigned)p->problem_value & 0xFF);
		return nb_err_set(e, at, "invalid YAML: %s; a notebook must be UTF-8 text",
				  p->problem ? p->problem : "unreadable input");
	}
	nb_err_set(e, at, "invalid YAML: %s", p->problem ? p->problem : "syntax error");
	if (p->context)
		nb_err_note(e, mark_loc(b, p->context_mark), "%s", p->context);
	return -1;
}

static int next_event(builder *b, yaml_event_t *ev, nb_err *e)
{
	if (!yaml_parser_parse(&b->parser, ev))
		return parser_error(b, e);
	return 0;
}

static nb_ynode *new_node(builder *b, nb_ykind kind, const yaml_event_t *ev, nb_err *e)
{
	if (++b->nodes > NB_YAML_MAXNODES) {
		nb_err_set(e, mark_loc(b, ev->start_mark), "document too large: more than %d YAML nodes",
			   NB_YAML_MAXNODES);
		return NULL;
	}
	nb_ynode *n = arena_alloc(b->doc, sizeof *n);
	n->kind = kind;
	n->loc = mark_loc(b, ev->start_mark);
	n->end = mark_loc(b, ev->end_mark);
	n->src_start = byte_offset(b, ev->start_mark.index);
	n->src_end = byte_offset(b, ev->end_mark.index);
	n->src = b->doc->src;
	return n;
}

static void add_anchor(builder *b, const yaml_char_t *name, nb_ynode *n)
{
	if (!name)
		return;
	NB_GROW(b->anchors, b->capanchors, b->nanchors + 1);
	b->anchors[b->nanchors].name = nb_xstrdup((const char *)name);
	b->anchors[b->nanchors].node = n;
	b->nanchors++;
}

static nb_ynode *find_anchor(builder *b, const char *name)
{
	for (size_t i = b->nanchors; i > 0; i--)
		if (!strcmp(b->anchors[i - 1].name, name))
			return b->anchors[i - 1].node;
	return NULL;
}

static nb_ynode *build(builder *b, yaml_event_t *ev, int depth, nb_err *e);

typedef struct nodevec {
	nb_ynode **v;
	size_t n, cap;
} nodevec;

static int has_key(const nodevec *v, const char *key)
{
	for (size_t i = 0; i + 1 < v->n; i += 2)
		if (!strcmp(v->v[i]->text, key))
			return 1;
	return 0;
}

/*
 * YAML 1.1 merge keys: '<<: *anchor' (or a list of anchors) adds the
 * pairs of the referenced mappings that the mapping does not give itself,
 * earlier mappings in the list winning over later ones.
 */
static int merge_keys(nodevec *items, nb_err *e)
{
	const nb_ynode *merge = NULL;
	nodevec out = {0};
	for (size_t i = 0; i + 1 < items->n; i += 2) {
		const nb_ynode *k = items->v[i];
		if (k->style == NB_YPLAIN && !strcmp(k->text, "<<")) {
			merge = items->v[i + 1];
			continue;
		}
		NB_GROW(out.v, out.cap, out.n + 2);
		out.v[out.n++] = items->v[i];
		out.v[out.n++] = items->v[i + 1];
	}
	if (!merge) {
		free(out.v);
		return 0;
	}
	size_t nsrc = merge->kind == NB_YSEQ ? merge->n : 1;
	for (size_t q = 0; q < nsrc; q++) {
		const nb_ynode *m = merge->kind == NB_YSEQ ? merge->items[q] : merge;
		if (m->kind != NB_YMAP) {
			nb_err_set(e, m->loc, "a merge key ('<<') takes a mapping or a list of mappings, found %s",
				   nb_ydescribe(m));
			free(out.v);
			return -1;
		}
		for (size_t i = 0; i + 1 < m->n; i += 2)
			if (!has_key(&out, m->items[i]->text)) {
				NB_GROW(out.v, out.cap, out.n + 2);
				out.v[out.n++] = m->items[i];
				out.v[out.n++] = m->items[i + 1];
			}
	}
	free(items->v);
	*items = out;
	return 0;
}

static nb_ynode *build_collection(builder *b, yaml_event_t *start, int is_map, int depth, nb_err *e)
{
	nb_ynode *n = new_node(b, is_map ? NB_YMAP : NB_YSEQ, start, e);
	if (!n)
		return NULL;
	const yaml_char_t *anc = is_map ? start->data.mapping_start.anchor : start->data.sequence_start.anchor;
	const yaml_char_t *tag = is_map ? start->data.mapping_start.tag : start->data.sequence_start.tag;
	if (tag)
		n->tag = arena_strndup(b->doc, (const char *)tag, strlen((const char *)tag));
	add_anchor(b, anc, n);
	nodevec items = {0};
	for (;;) {
		yaml_event_t ev;
		if (next_event(b, &ev, e) < 0)
			goto fail;
		if (ev.type == (is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT)) {
			n->end = mark_loc(b, ev.end_mark);
			n->src_end = byte_offset(b, ev.end_mark.index);
			yaml_event_delete(&ev);
			break;
		}
		nb_ynode *child = build(b, &ev, depth + 1, e);
		yaml_event_delete(&ev);
		if (!child)
			goto fail;
		if (is_map && items.n % 2 == 0) {
			if (child->kind != NB_YSCALAR) {
				nb_err_set(e, child->loc, "mapping keys must be plain strings, found %s",
					   nb_ydescribe(child));
				goto fail;
			}
			for (size_t i = 0; i < items.n; i += 2) {
				if (!strcmp(items.v[i]->text, child->text)) {
					nb_err_set(e, child->loc, "duplicate key '%s'", child->text);
					nb_err_note(e, items.v[i]->loc, "'%s' was first given here", child->text);
					goto fail;
				}
			}
		}
		NB_GROW(items.v, items.cap, items.n + 1);
		items.v[items.n++] = child;
	}
	if (is_map && merge_keys(&items, e) < 0)
		goto fail;
	n->n = items.n;
	if (items.n) {
		n->items = arena_alloc(b->doc, items.n * sizeof *n->items);
		memcpy(n->items, items.v, items.n * sizeof *n->items);
	}
	free(items.v);
	return n;
fail:
	free(items.v);
	return NULL;
}

static nb_ynode *build(builder *b, yaml_event_t *ev, int depth, nb_err *e)
{
	if (depth > NB_YAML_MAXDEPTH) {
		nb_err_set(e, mark_loc(b, ev->start_mark), "YAML nested too deeply: more than %d levels",
			   NB_YAML_MAXDEPTH);
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT: {
		nb_ynode *n = new_node(b, NB_YSCALAR, ev, e);
		if (!n)
			return NULL;
		n->text = arena_strndup(b->doc, (const char *)ev->data.scalar.value, ev->data.scalar.length);
		n->len = ev->data.scalar.length;
		if (strlen(n->text) != n->len) {
			nb_err_set(e, n->loc, "a NUL character is not allowed in a notebook string");
			return NULL;
		}
		switch (ev->data.scalar.style) {
		case YAML_SINGLE_QUOTED_SCALAR_STYLE: n->style = NB_YSINGLE; break;
		case YAML_DOUBLE_QUOTED_SCALAR_STYLE: n->style = NB_YDOUBLE; break;
		case YAML_LITERAL_SCALAR_STYLE: n->style = NB_YLITERAL; break;
		case YAML_FOLDED_SCALAR_STYLE: n->style = NB_YFOLDED; break;
		default: n->style = NB_YPLAIN;
		}
		if (ev->data.scalar.tag)
			n->tag = arena_strndup(b->doc, (const char *)ev->data.scalar.tag,
					       strlen((const char *)ev->data.scalar.tag));
		add_anchor(b, ev->data.scalar.anchor, n);
		return n;
	}
	case YAML_SEQUENCE_START_EVENT:
		return build_collection(b, ev, 0, depth, e);
	case YAML_MAPPING_START_EVENT:
		return build_collection(b, ev, 1, depth, e);
	case YAML_ALIAS_EVENT: {
		nb_ynode *n = find_anchor(b, (const char *)ev->data.alias.anchor);
		if (!n)
			nb_err_set(e, mark_loc(b, ev->start_mark), "unknown alias '*%s'", ev->data.alias.anchor);
		return n;
	}
	default:
		nb_err_set(e, mark_loc(b, ev->start_mark), "unexpected YAML event");
		return NULL;
	}
}

nb_ydoc *nb_yaml_load_string(const char *name, const char *src, size_t len, nb_err *e)
{
	nb_ydoc *d = nb_xcalloc(1, sizeof *d);
	d->file = nb_xstrdup(name);
	d->src = nb_xstrndup(src, len);
	d->srclen = len;
	builder b = {0};
	b.doc = d;
	if (!yaml_parser_initialize(&b.parser))
		nb_die("out of memory");
	yaml_parser_set_input_string(&b.parser, (const unsigned char *)d->src, len);
	yaml_parser_set_encoding(&b.parser, YAML_UTF8_ENCODING);
	int ok = 0, docs = 0;
	for (;;) {
		yaml_event_t ev;
		if (next_event(&b, &ev, e) < 0)
			break;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			ok = 1;
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			if (++docs > 1) {
				nb_err_set(e, mark_loc(&b, ev.start_mark),
					   "a notebook is one YAML document, but a second one starts here");
				yaml_event_delete(&ev);
				break;
			}
		} else if (ev.type != YAML_STREAM_START_EVENT && ev.type != YAML_DOCUMENT_END_EVENT) {
			d->root = build(&b, &ev, 0, e);
			if (!d->root) {
				yaml_event_delete(&ev);
				break;
			}
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&b.parser);
	for (size_t i = 0; i < b.nanchors; i++)
		free(b.anchors[i].name);
	free(b.anchors);
	if (!ok) {
		nb_ydoc_free(d);
		return NULL;
	}
	return d;
}

nb_ydoc *nb_yaml_load_file(const char *path, nb_err *e)
{
	size_t len;
	char *src = nb_read_file(path, &len);
	if (!src) {
		nb_err_set(e, (nb_loc){path, 0, 0}, "cannot read notebook: %s", strerror(errno));
		return NULL;
	}
	nb_ydoc *d = nb_yaml_load_string(path, src, len, e);
	free(src);
	return d;
}

const nb_ynode *nb_ymap_get(const nb_ynode *map, const char *key)
{
	if (!map || map->kind != NB_YMAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (!strcmp(map->items[i]->text, key))
			return map->items[i + 1];
	return NULL;
}

int nb_yis_null(const nb_ynode *n)
{
	if (!n)
		return 1;
	if (n->kind != NB_YSCALAR || n->style != NB_YPLAIN)
		return 0;
	return !strcmp(n->text, "") || !strcmp(n->text, "~") || !strcmp(n->text, "null") ||
	       !strcmp(n->text, "Null") || !strcmp(n->text, "NULL");
}

const char *nb_ydescribe(const nb_ynode *n)
{
	if (!n)
		return "nothing";
	switch (n->kind) {
	case NB_YMAP: return "a mapping";
	case NB_YSEQ: return "a list";
	case NB_YSCALAR:
		if (nb_yis_null(n))
			return "null";
		if (n->style == NB_YPLAIN) {
			char *end;
			strtod(n->text, &end);
			if (*n->text && !*end)
				return "a number";
			if (!strcmp(n->text, "true") || !strcmp(n->text, "false") || !strcmp(n->text, "True") ||
			    !strcmp(n->text, "False"))
				return "a boolean";
		}
		return "a string";
	}
	return "?";
}

nb_loc nb_yloc_at(const nb_ynode *n, size_t off)
{
	if (n->kind != NB_YSCALAR || n->loc.line != n->end.line)
		return n->loc;
	nb_loc l = n->loc;
	if (n->style == NB_YPLAIN) {
		l.col += (int)off;
		return l;
	}
	if (n->style != NB_YSINGLE && n->style != NB_YDOUBLE)
		return l;
	/* walk the quoted source, decoding escapes, until off characters of text */
	const char *s = n->src + n->src_start + 1;
	const char *end = n->src + n->src_end;
	size_t decoded = 0;
	int col = l.col + 1;
	while (s < end && decoded < off) {
		if (n->style == NB_YDOUBLE && *s == '\\') {
			char c = s[1];
			int len = c == 'x' ? 4 : c == 'u' ? 6 : c == 'U' ? 10 : 2;
			s += len;
			col += len;
			decoded += 1;
			continue;
		}
		if (n->style == NB_YSINGLE && s[0] == '\'' && s[1] == '\'') {
			s += 2;
			col += 2;
			decoded++;
			continue;
		}
		/* one UTF-8 character: count its bytes as decoded text, one column */
		size_t len = 1;
		while (s + len < end && ((unsigned char)s[len] & 0xC0) == 0x80)
			len++;
		s += len;
		decoded += len;
		col++;
	}
	l.col = col;
	return l;
}
