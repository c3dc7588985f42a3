/*
 * fmt.h - printing values the way Python and numpy print them.
 *
 *  - nb_fmt_repr(): Python's repr() of a float, the shortest decimal string
 *    that reads back to the same double ("0.1", "1e-05", "-3.235905316463203").
 *  - nb_fmt_value(): str() of a value, as print() shows it: numpy's
 *    array2string for arrays (8 significant digits, aligned columns,
 *    75-character lines, "..." summaries above 1000 elements), Python's
 *    repr for rank-0 arrays, the text itself for strings.
 *  - nb_fmt_spec(): format(value, spec) with Python's format-spec
 *    mini-language ("{loss:.2f}", "{w:9.9f}", "{n:>5d}", "{x:.3e}").
 *
 * All append to an nb_buf.
 */
#ifndef NB_FMT_H
#define NB_FMT_H

#include "value.h"

void nb_fmt_repr(double x, nb_buf *b);
void nb_fmt_value(const nb_value *v, nb_buf *b);
/* Returns 0, or -1 with an error for a bad spec or a spec that does not fit the value. */
int nb_fmt_spec(const nb_value *v, const char *spec, nb_buf *b, nb_err *e);

/*
 * Shortest round-trip digits of a finite nonzero |x|: writes the digits
 * (no dot) to digits[] and returns the decimal exponent of the first digit.
 */
int nb_shortest_digits(double x, char *digits, int *ndigits);

/*
 * snprintf(buf, size, "%.*f", prec, x) in the C locale, byte for byte, for
 * finite |x| < 1e15 and prec <= 18 (-1 otherwise, buf untouched): the
 * length the number has, written truncated to size as snprintf does.
 * About ten times quicker than glibc's exact multi-precision printing.
 */
int nb_fixed(char *buf, size_t size, double x, int prec);

#endif
