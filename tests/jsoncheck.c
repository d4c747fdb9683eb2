/*
 * jsoncheck: a strict JSON Lines checker for the shell tests (no jq or
 * python needed).
 *
 *   jsoncheck [KEY...] < FILE
 *
 * Every non-empty line of standard input must be exactly one JSON object
 * (RFC 8259 grammar) in which no object repeats a key.  For each line, the values of the given top-level
 * KEYs are printed tab-separated, as their JSON text (strings with their
 * quotes), "-" for a missing key; without KEYs nothing is printed.
 * Exit status: 0 all lines valid, 1 a line is not valid JSON (the line
 * number and column are printed), 2 usage or I/O error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct p {
	const char *s;
	size_t i, n;
	int depth;
	int dup;        /* the failure is a key repeated in one object */
};

static int value(struct p *p);

static void ws(struct p *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\r' ||
	                       p->s[p->i] == '\n'))
		p->i++;
}

static int lit(struct p *p, const char *w)
{
	size_t l = strlen(w);
	if (p->n - p->i < l || memcmp(p->s + p->i, w, l) != 0)
		return -1;
	p->i += l;
	return 0;
}

static int hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int string(struct p *p)
{
	if (p->i >= p->n || p->s[p->i] != '"')
		return -1;
	p->i++;
	while (p->i < p->n) {
		unsigned char c = (unsigned char)p->s[p->i++];
		if (c == '"')
			return 0;
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			if (p->i >= p->n)
				return -1;
			c = (unsigned char)p->s[p->i++];
			if (c == 'u') {
				for (int k = 0; k < 4; k++)
					if (p->i >= p->n || !hex(p->s[p->i++]))
						return -1;
			} else if (!strchr("\"\\/bfnrt", c)) {
				return -1;
			}
		}
	}
	return -1;
}

static int digits(struct p *p)
{
	size_t st = p->i;
	while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
		p->i++;
	return p->i > st ? 0 : -1;
}

static int number(struct p *p)
{
	if (p->i < p->n && p->s[p->i] == '-')
		p->i++;
	if (p->i < p->n && p->s[p->i] == '0')
		p->i++;
	else if (digits(p) != 0)
		return -1;
	if (p->i < p->n && p->s[p->i] == '.') {
		p->i++;
		if (digits(p) != 0)
			return -1;
	}
	if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		if (digits(p) != 0)
			return -1;
	}
	return 0;
}

/* Object or array; keys/vals (top level only) record member spans. */
static int container(struct p *p, char open, size_t *spans, int *nspans)
{
	char close = open == '{' ? '}' : ']';
	size_t keys[2 * 128];   /* this object's key spans, for duplicates */
	int nkeys = 0;

	if (++p->depth > 200)
		return -1;
	p->i++;
	ws(p);
	if (p->i < p->n && p->s[p->i] == close) {
		p->i++;
		p->depth--;
		return 0;
	}
	for (;;) {
		ws(p);
		size_t ks = p->i;
		if (open == '{') {
			if (string(p) != 0)
				return -1;
			size_t ke = p->i;
			for (int k = 0; k < nkeys; k++)
				if (keys[2 * k + 1] - keys[2 * k] == ke - ks &&
				    memcmp(p->s + keys[2 * k], p->s + ks, ke - ks) == 0) {
					p->i = ks;
					p->dup = 1;
					return -1;
				}
			if (nkeys < 128) {
				keys[2 * nkeys] = ks;
				keys[2 * nkeys + 1] = ke;
				nkeys++;
			}
			ws(p);
			if (p->i >= p->n || p->s[p->i] != ':')
				return -1;
			p->i++;
			ws(p);
			size_t vs = p->i;
			if (value(p) != 0)
				return -1;
			if (spans && *nspans < 256) {
				size_t *sp = spans + 4 * (*nspans)++;
				sp[0] = ks;
				sp[1] = ke;
				sp[2] = vs;
				sp[3] = p->i;
			}
		} else if (value(p) != 0) {
			return -1;
		}
		ws(p);
		if (p->i >= p->n)
			return -1;
		if (p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->s[p->i] == close) {
			p->i++;
			p->depth--;
			return 0;
		}
		return -1;
	}
}

static int value(struct p *p)
{
	ws(p);
	if (p->i >= p->n)
		return -1;
	switch (p->s[p->i]) {
	case '{': case '[': return container(p, p->s[p->i], NULL, NULL);
	case '"': return string(p);
	case 't': return lit(p, "true");
	case 'f': return lit(p, "false");
	case 'n': return lit(p, "null");
	default: return number(p);
	}
}

int main(int argc, char **argv)
{
	char *line = NULL;
	size_t cap = 0, spans[4 * 256];
	long len, lineno = 0;
	int bad = 0;

	while ((len = (long)getline(&line, &cap, stdin)) > 0) {
		struct p p = { line, 0, (size_t)len, 0, 0 };
		int nspans = 0;
		lineno++;
		while (p.n && (line[p.n - 1] == '\n' || line[p.n - 1] == '\r'))
			p.n--;
		ws(&p);
		if (p.i == p.n)
			continue;
		if (p.s[p.i] != '{' || container(&p, '{', spans, &nspans) != 0 ||
		    (ws(&p), p.i != p.n)) {
			fprintf(stderr, "jsoncheck: line %ld: %s (column %zu)\n", lineno,
			        p.dup ? "a key appears twice in one object" : "not a JSON object",
			        p.i + 1);
			bad = 1;
			continue;
		}
		for (int k = 1; k < argc; k++) {
			int found = 0;
			for (int j = 0; j < nspans && !found; j++) {
				size_t *sp = spans + 4 * j;
				size_t kl = sp[1] - sp[0] - 2;
				if (kl == strlen(argv[k]) && memcmp(line + sp[0] + 1, argv[k], kl) == 0) {
					printf("%s%.*s", k > 1 ? "\t" : "", (int)(sp[3] - sp[2]), line + sp[2]);
					found = 1;
				}
			}
			if (!found)
				printf("%s-", k > 1 ? "\t" : "");
		}
		if (argc > 1)
			putchar('\n');
	}
	free(line);
	if (ferror(stdin))
		return 2;
	return bad;
}
