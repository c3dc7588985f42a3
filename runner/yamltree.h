/*
 * yamltree.h - a YAML document as a tree of located nodes.
 *
 * libyaml parses; this module builds a small tree in which every node
 * keeps its source position, so that every later error can name the
 * FILE:LINE:COL of the node at fault.  Loading rejects what a notebook
 * never needs and what would hide mistakes: duplicate keys, more than one
 * document, non-scalar keys, nesting deeper than NB_YAML_MAXDEPTH, and more
 * than NB_YAML_MAXNODES nodes.  Aliases are followed (a node may then be
 * reached twice); YAML 1.1 tags are kept but not interpreted.
 *
 * All nodes belong to their nb_ydoc and are freed with it.
 */
#ifndef NB_YAMLTREE_H
#define NB_YAMLTREE_H

#include "diag.h"

#define NB_YAML_MAXDEPTH 64
#define NB_YAML_MAXNODES 20000000

typedef enum nb_ykind { NB_YSCALAR, NB_YSEQ, NB_YMAP } nb_ykind;
typedef enum nb_ystyle { NB_YPLAIN, NB_YSINGLE, NB_YDOUBLE, NB_YLITERAL, NB_YFOLDED } nb_ystyle;

typedef struct nb_ynode {
	nb_ykind kind;
	nb_loc loc, end;      /* start and end of the node in the source */
	/* scalars */
	char *text;
	size_t len;
	nb_ystyle style;
	char *tag;            /* explicit tag, or NULL */
	/* sequences: items[0..n); mappings: keys items[2i], values items[2i+1] */
	struct nb_ynode **items;
	size_t n;
	size_t src_start, src_end; /* byte offsets into the source */
	const char *src;           /* the document's source text */
} nb_ynode;

typedef struct nb_ydoc {
	char *file;   /* the path, as given */
	char *src;    /* the whole source text */
	size_t srclen;
	nb_ynode *root; /* NULL for an empty document */
	void *arena;
} nb_ydoc;

nb_ydoc *nb_yaml_load_file(const char *path, nb_err *e);
nb_ydoc *nb_yaml_load_string(const char *name, const char *src, size_t len, nb_err *e);
void nb_ydoc_free(nb_ydoc *d);

/* The value of key in a mapping, or NULL. */
const nb_ynode *nb_ymap_get(const nb_ynode *map, const char *key);
/* Number of pairs in a mapping / items in a sequence. */
static inline size_t nb_ylen(const nb_ynode *n) { return n->kind == NB_YMAP ? n->n / 2 : n->n; }
/* "a mapping", "a sequence", "a string", "a number", "null", ... (for messages) */
const char *nb_ydescribe(const nb_ynode *n);
/* A plain null scalar ('', '~', 'null')? */
int nb_yis_null(const nb_ynode *n);
/*
 * Location of byte offset off inside a scalar's text, when the scalar is a
 * single line in the source; otherwise the node's own location.
 */
nb_loc nb_yloc_at(const nb_ynode *n, size_t off);

#endif
