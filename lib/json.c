/*
 * json.c: just enough JSON for the xl save-file configuration.
 *
 * The xl header's optional data carries libxl's JSON domain configuration.
 * The reader needs two facts from it, c_info.type and b_info.max_vcpus
 * (rules.md 1.2, "embedded knowledge"), and must tell JSON text from
 * anything else (XL-10).  This is a validating recursive-descent scanner
 * (RFC 8259 grammar) over a bounded buffer, with a nesting limit, that
 * records those two members when it meets them at the right depth.  It
 * allocates nothing.
 */
#include "config.h"

#include <string.h>

#include "rules_libxl.h"

#define JSON_MAX_DEPTH 64

struct jp {
	const uint8_t *p, *end;
	int depth;
	struct ms_xl_config *out;
};

static void ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int lit(struct jp *j, const char *s)
{
	size_t n = strlen(s);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, s, n) != 0)
		return -1;
	j->p += n;
	return 0;
}

/* A string; if buf, its raw octets (escapes kept) up to cap-1, NUL ended. */
static int string(struct jp *j, char *buf, size_t cap)
{
	size_t n = 0;
	if (j->p >= j->end || *j->p != '"')
		return -1;
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		uint8_t ch = *j->p++;
		if (ch < 0x20)
			return -1;
		if (ch == '\\') {
			if (j->p >= j->end)
				return -1;
			uint8_t e = *j->p++;
			if (e == 'u') {
				for (int i = 0; i < 4; i++, j->p++)
					if (j->p >= j->end || !((*j->p >= '0' && *j->p <= '9') ||
					                        ((*j->p | 0x20) >= 'a' && (*j->p | 0x20) <= 'f')))
						return -1;
			} else if (!strchr("\"\\/bfnrt", e) || e == 0) {
				return -1;
			}
			ch = e;
		}
		if (buf && n + 1 < cap)
			buf[n++] = (char)ch;
	}
	if (j->p >= j->end)
		return -1;
	j->p++;
	if (buf && cap)
		buf[n] = '\0';
	return 0;
}

static int number(struct jp *j, int64_t *val)
{
	const uint8_t *s = j->p;
	int neg = 0, digits = 0, integral = 1;
	uint64_t v = 0;
	if (j->p < j->end && *j->p == '-') {
		neg = 1;
		j->p++;
	}
	if (j->p < j->end && *j->p == '0') {
		j->p++;
		digits = 1;
	} else {
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
			if (v < UINT64_C(1) << 60)
				v = v * 10 + (uint64_t)(*j->p - '0');
			j->p++;
			digits++;
		}
	}
	if (!digits)
		return -1;
	if (j->p < j->end && *j->p == '.') {
		integral = 0;
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return -1;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		integral = 0;
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return -1;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (val)
		*val = integral && !neg && v < (UINT64_C(1) << 60) ? (int64_t)v : -1;
	(void)s;
	return 0;
}

/* which: 0 plain, 1 inside top-level "c_info", 2 inside top-level "b_info". */
static int value(struct jp *j, int which, const char *key);

static int object(struct jp *j, int which)
{
	if (++j->depth > JSON_MAX_DEPTH)
		return -1;
	j->p++;                               /* '{' */
	ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		j->depth--;
		return 0;
	}
	for (;;) {
		char key[32];
		ws(j);
		if (string(j, key, sizeof key))
			return -1;
		ws(j);
		if (j->p >= j->end || *j->p != ':')
			return -1;
		j->p++;
		ws(j);
		int inner = 0;
		if (j->depth == 1 && which == 0)
			inner = !strcmp(key, "c_info") ? 1 : !strcmp(key, "b_info") ? 2 : 0;
		if (value(j, inner ? inner : which, j->depth == 2 ? key : NULL))
			return -1;
		ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			j->depth--;
			return 0;
		}
		return -1;
	}
}

static int array(struct jp *j)
{
	if (++j->depth > JSON_MAX_DEPTH)
		return -1;
	j->p++;                               /* '[' */
	ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		j->depth--;
		return 0;
	}
	for (;;) {
		ws(j);
		if (value(j, -1, NULL))
			return -1;
		ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == ']') {
			j->p++;
			j->depth--;
			return 0;
		}
		return -1;
	}
}

static int value(struct jp *j, int which, const char *key)
{
	ws(j);
	if (j->p >= j->end)
		return -1;
	switch (*j->p) {
	case '{':
		return object(j, which < 0 ? -1 : (key ? -1 : which));
	case '[':
		return array(j);
	case '"': {
		char buf[16];
		if (string(j, buf, sizeof buf))
			return -1;
		if (which == 1 && key && !strcmp(key, "type")) {
			memcpy(j->out->type, buf, sizeof j->out->type);
			j->out->type[sizeof j->out->type - 1] = '\0';
			j->out->have_type = 1;
		}
		return 0;
	}
	case 't':
		return lit(j, "true");
	case 'f':
		return lit(j, "false");
	case 'n':
		return lit(j, "null");
	default: {
		int64_t v;
		if (number(j, &v))
			return -1;
		if (which == 2 && key && !strcmp(key, "max_vcpus") && v > 0 && v <= UINT32_MAX) {
			j->out->max_vcpus = (uint32_t)v;
		}
		return 0;
	}
	}
}

int ms_json_config(const uint8_t *text, size_t len, struct ms_xl_config *out)
{
	struct jp j = { text, text + len, 0, out };
	memset(out, 0, sizeof *out);
	ws(&j);
	if (j.p >= j.end || *j.p != '{')
		return -1;
	if (object(&j, 0))
		return -1;
	ws(&j);
	return j.p == j.end ? 0 : -1;
}
