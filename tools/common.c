/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * common.c: the pieces the migstream command's subcommands share: inputs
 * (mapped files, pipes), reader options, reading sessions, progress, finding
 * lines, JSON output, decoded record fields, headers and pfn sets.  It calls
 * the library and decompress.c, never a subcommand.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

/* ================================================================== input */

/* Compressed input is read through a decompressor (decompress.c).  A
 * mapped file shows its magic in place; a pipe's first octets are read and
 * served again by the same source. */
static int input_probe(struct input *in)
{
	uint8_t head[8];
	size_t n = 0;
	const char *packer;

	if (in->map) {
		packer = compression_name(in->map, in->size);
		if (!packer)
			return 0;
		in->dec = decomp_new(in->name, in->fd, in->map, in->size, NULL, 0, packer);
	} else if (in->regular && in->size == 0) {
		return 0;
	} else {
		/* A read error stops here and recurs at the source's next
		 * read, where the reader reports it. */
		while (n < sizeof head) {
			ssize_t got = read(in->fd, head + n, sizeof head - n);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0)
				break;
			n += (size_t)got;
		}
		in->dec = decomp_new(in->name, in->fd, NULL, 0, head, n, compression_name(head, n));
	}
	if (!in->dec) {
		fprintf(stderr, "%s: %s: out of memory\n", progname, in->name);
		return MIGSTREAM_E_NOMEM;
	}
	return 0;
}

int input_open(struct input *in, const char *path)
{
	struct stat st;

	memset(in, 0, sizeof *in);
	in->fd = -1;
	if (!path || strcmp(path, "-") == 0) {
		in->name = "standard input";
		in->fd = 0;
	} else {
		in->name = path;
		in->fd = open(path, O_RDONLY);
		if (in->fd < 0) {
			fprintf(stderr, "%s: %s: %s\n", progname, path, strerror(errno));
			return -1;
		}
		in->own_fd = 1;
	}
	if (fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode)) {
		in->regular = 1;
		in->size = (size_t)st.st_size;
		/* Map regular files: the reader then hands out views into the
		 * mapping and never copies page contents.  The fd's position is
		 * honoured (a file on standard input may be positioned). */
		off_t pos = lseek(in->fd, 0, SEEK_CUR);
		if (pos > 0 && (uint64_t)pos <= in->size) {
			in->size -= (size_t)pos;
		} else {
			pos = 0;
		}
		if (pos == 0 && in->size > 0) {
			void *m = mmap(NULL, in->size, PROT_READ, MAP_PRIVATE, in->fd, 0);
			if (m != MAP_FAILED) {
				in->map = m;
#ifdef POSIX_MADV_SEQUENTIAL
				posix_madvise(m, in->size, POSIX_MADV_SEQUENTIAL);
#endif
			}
		}
	}
	return 0;
}

int input_attach(struct input *in, migstream_reader *r)
{
	int rc;

	/* Probed here, not at open: a pipe's first octets are consumed. */
	if (!in->dec && (rc = input_probe(in)) != 0)
		return rc;
	if (in->dec)
		return decomp_attach(in->dec, r);
	if (in->map && !in->prefer_fd)
		return migstream_reader_open_memory(r, in->map, in->size);
	if (in->regular && in->size == 0)
		return migstream_reader_open_memory(r, "", 0);
	return migstream_reader_open_fd(r, in->fd);
}

uint64_t input_trailing(struct input *in, migstream_reader *r)
{
	const void *data;
	size_t len = 0;
	uint64_t n;
	char buf[65536];
	ssize_t got;

	if (!in->dec && in->regular) {
		uint64_t off = migstream_reader_offset(r);
		return off < in->size ? in->size - off : 0;
	}
	if (migstream_reader_trailing(r, &data, &len) != 0)
		len = 0;
	n = len;
	for (;;) {
		got = in->dec ? decomp_read_more(in->dec, buf, sizeof buf) : read(in->fd, buf, sizeof buf);
		if (got < 0 && errno == EINTR && !in->dec)
			continue;
		if (got <= 0)
			break;
		n += (uint64_t)got;
	}
	return n;
}

void input_close(struct input *in)
{
	decomp_free(in->dec);
	in->dec = NULL;
	if (in->map)
		munmap(in->map, in->size);
	if (in->own_fd && in->fd >= 0)
		close(in->fd);
	in->map = NULL;
	in->fd = -1;
}

/* ======================================================== reader options */

void read_opts_init(struct read_opts *o, int mode)
{
	memset(o, 0, sizeof *o);
	o->format = MIGSTREAM_FORMAT_AUTO;
	o->mode = mode;
	o->kind = MIGSTREAM_KIND_AUTO;
	o->deep = 1;
	o->progress = -1;
}

static int parse_format(const char *s, uint32_t *out)
{
	if (strcmp(s, "auto") == 0)
		*out = MIGSTREAM_FORMAT_AUTO;
	else if (strcmp(s, "libxc") == 0)
		*out = MIGSTREAM_FORMAT_LIBXC;
	else if (strcmp(s, "libxl") == 0)
		*out = MIGSTREAM_FORMAT_LIBXL;
	else if (strcmp(s, "xl") == 0)
		*out = MIGSTREAM_FORMAT_XL;
	else
		return -1;
	return 0;
}

int read_opts_parse(struct read_opts *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i];

	if (strcmp(a, "-f") == 0 || strcmp(a, "--format") == 0 ||
	    strncmp(a, "--format=", 9) == 0) {
		const char *v;
		if (a[2] == '\0' || strcmp(a, "--format") == 0) {
			if (*i + 1 >= argc) {
				fprintf(stderr, "%s: %s needs an argument\n", progname, a);
				return -1;
			}
			v = argv[++*i];
		} else {
			v = a + 9;
		}
		if (parse_format(v, &o->format) != 0) {
			fprintf(stderr, "%s: unknown format '%s' (auto, libxc, libxl or xl)\n",
			        progname, v);
			return -1;
		}
		return 1;
	}
	if (strncmp(a, "-f", 2) == 0 && a[2] != '\0') {
		if (parse_format(a + 2, &o->format) != 0) {
			fprintf(stderr, "%s: unknown format '%s'\n", progname, a + 2);
			return -1;
		}
		return 1;
	}
	if (strcmp(a, "--strict") == 0)
		o->mode = MIGSTREAM_MODE_STRICT;
	else if (strcmp(a, "--restore") == 0)
		o->mode = MIGSTREAM_MODE_RESTORE;
	else if (strcmp(a, "--lax") == 0)
		o->mode = MIGSTREAM_MODE_LAX;
	else if (strcmp(a, "--channel") == 0)
		o->channel = 1;
	else if (strcmp(a, "--plain") == 0)
		o->kind = MIGSTREAM_KIND_PLAIN;
	else if (strcmp(a, "--remus") == 0)
		o->kind = MIGSTREAM_KIND_REMUS;
	else if (strcmp(a, "--colo") == 0)
		o->kind = MIGSTREAM_KIND_COLO;
	else if (strcmp(a, "--back-channel") == 0)
		o->kind = MIGSTREAM_KIND_COLO_BACK;
	else if (strcmp(a, "--no-deep") == 0)
		o->deep = 0;
	else if (strcmp(a, "--progress") == 0)
		o->progress = 1;
	else if (strcmp(a, "--no-progress") == 0)
		o->progress = 0;
	else
		return 0;
	return 1;
}

/* Whether the stream is read as a file (no --channel): a capture of a live
 * migration then fails ORDER-1 or CKPT-5, and the finding says why. */
static int read_as_file = 1;

int read_opts_apply(const struct read_opts *o, migstream_reader *r)
{
	int rc = 0;

	read_as_file = !o->channel;

	rc |= migstream_reader_set_option(r, MIGSTREAM_OPT_FORMAT, o->format);
	rc |= migstream_reader_set_option(r, MIGSTREAM_OPT_MODE, (uint64_t)o->mode);
	rc |= migstream_reader_set_option(r, MIGSTREAM_OPT_CHANNEL, (uint64_t)o->channel);
	rc |= migstream_reader_set_option(r, MIGSTREAM_OPT_STREAM_KIND, (uint64_t)o->kind);
	rc |= migstream_reader_set_option(r, MIGSTREAM_OPT_DEEP, (uint64_t)o->deep);
	return rc ? -1 : 0;
}

/* ================================================================ sessions */

void session_init(struct session *s)
{
	memset(s, 0, sizeof *s);
	s->in.fd = -1;
	s->dp.out = stderr;
}

int session_open(struct session *s, const char *path, const struct read_opts *o)
{
	if (input_open(&s->in, path) != 0)
		return EXIT_USAGE;
	s->in.prefer_fd = s->read_fd;
	s->r = migstream_reader_new();
	if (!s->r || read_opts_apply(o, s->r) != 0) {
		fprintf(stderr, "%s: cannot set up the reader\n", progname);
		session_close(s);
		return EXIT_USAGE;
	}
	migstream_reader_set_diag_handler(s->r, diag_print, &s->dp);
	progress_init(&s->pr, s->dp.quiet ? 0 : o->progress, s->in.regular ? s->in.size : 0);
	s->records = 0;
	s->rc = input_attach(&s->in, s->r);
	if (s->rc == 0)
		s->rc = migstream_reader_read_headers(s->r);
	return 0;
}

int session_next(struct session *s, const migstream_record **rec)
{
	while (s->rc == 0 ||
	       (!s->stop_at_error && s->rc < 0 && !migstream_error_is_fatal(s->rc))) {
		s->rc = migstream_reader_next(s->r, rec);
		rounds_note(&s->rounds, s->r);
		if (s->rc != 0)
			continue;
		s->records++;
		progress_update(&s->pr, migstream_reader_offset(s->r), s->records);
		return 1;
	}
	return 0;
}

int session_finish(struct session *s)
{
	int status;

	progress_done(&s->pr, migstream_reader_offset(s->r), s->records);
	status = report_end(&s->dp, s->r, s->rc, s->in.name);
	diag_finish(&s->dp);
	return status;
}

void session_close(struct session *s)
{
	rounds_free(&s->rounds);
	migstream_reader_free(s->r);
	s->r = NULL;
	input_close(&s->in);
}

/* ================================================================== rounds */

void rounds_init(struct rounds *rs)
{
	memset(rs, 0, sizeof *rs);
}

void rounds_note(struct rounds *rs, migstream_reader *r)
{
	if (migstream_reader_get_checkpoint(r, &rs->ci, sizeof rs->ci) != 0)
		return;
	if (!(rs->ci.events & MIGSTREAM_CKPT_EV_COMMIT) || rs->oom)
		return;
	if (rs->n == rs->cap) {
		size_t c = rs->cap ? rs->cap * 2 : 64;
		uint64_t *v = realloc(rs->pages, c * sizeof *v);
		if (!v) {
			rs->oom = 1;
			return;
		}
		rs->pages = v;
		rs->cap = c;
	}
	rs->pages[rs->n++] = rs->ci.last_committed_pages;
}

static int cmp_pages(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int rounds_dirty(const struct rounds *rs, uint64_t *min, uint64_t *median, uint64_t *max,
                 uint64_t *count)
{
	size_t first = rs->ci.back_channel ? 0 : 1;
	uint64_t *v;

	if (rs->oom || rs->n <= first)
		return 0;
	size_t n = rs->n - first;
	if (!(v = malloc(n * sizeof *v)))
		return 0;
	memcpy(v, rs->pages + first, n * sizeof *v);
	qsort(v, n, sizeof *v, cmp_pages);
	*min = v[0];
	*max = v[n - 1];
	*median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	*count = n;
	free(v);
	return 1;
}

void rounds_text(FILE *f, const struct rounds *rs, const char *prefix)
{
	const migstream_checkpoint_info *c = &rs->ci;
	uint64_t mn, md, mx, n;
	const char *what = c->back_channel ? "cycles" : "complete checkpoints";

	if (!c->checkpointed)
		return;
	fprintf(f, "%s%-22s%" PRIu64 "\n", prefix, c->back_channel ? "back-channel cycles:"
	        : "complete checkpoints:", c->committed);
	fprintf(f, "%s%-22s0x%" PRIx64 " (end of the last of the %" PRIu64 " %s)\n", prefix,
	        "failover offset:", c->commit_offset, c->committed, what);
	if (c->state == MIGSTREAM_CKPT_DISCARDED)
		fprintf(f, "%s%-22s%" PRIu64 " octets, %" PRIu64 " pages (round %" PRIu64
		        ", unfinished, from offset 0x%" PRIx64 ")\n", prefix, "discarded:",
		        c->discarded_octets, c->discarded_pages, c->round, c->commit_offset);
	else
		fprintf(f, "%s%-22s0 octets (the stream ends with a complete round)\n", prefix,
		        "discarded:");
	if (rounds_dirty(rs, &mn, &md, &mx, &n))
		fprintf(f, "%s%-22smin %" PRIu64 ", median %" PRIu64 ", max %" PRIu64 " (%" PRIu64
		        " %s%s)\n", prefix, c->back_channel ? "dirty pfns per cycle:" :
		        "pages dirtied/round:", mn, md, mx, n, c->back_channel ? "cycle" : "round",
		        n == 1 ? (c->back_channel ? "" : " after the first") :
		        (c->back_channel ? "s" : "s after the first"));
}

void rounds_json(FILE *f, const struct rounds *rs)
{
	const migstream_checkpoint_info *c = &rs->ci;
	uint64_t mn, md, mx, n;
	int discarded = c->state == MIGSTREAM_CKPT_DISCARDED;

	if (!c->checkpointed)
		return;
	fprintf(f, ",\"complete_checkpoints\":%" PRIu64 ",\"failover_offset\":%" PRIu64
	        ",\"discarded_octets\":%" PRIu64 ",\"discarded_pages\":%" PRIu64, c->committed,
	        c->commit_offset, discarded ? c->discarded_octets : 0,
	        discarded ? c->discarded_pages : 0);
	if (rounds_dirty(rs, &mn, &md, &mx, &n))
		fprintf(f, ",\"dirty_pages_per_round\":{\"rounds\":%" PRIu64 ",\"min\":%" PRIu64
		        ",\"median\":%" PRIu64 ",\"max\":%" PRIu64 "}", n, mn, md, mx);
	else
		fputs(",\"dirty_pages_per_round\":null", f);
}

void rounds_free(struct rounds *rs)
{
	free(rs->pages);
	rs->pages = NULL;
	rs->n = rs->cap = 0;
}

/* ================================================================ progress */

double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_init(struct progress *p, int want, uint64_t total)
{
	memset(p, 0, sizeof *p);
	p->total = total;
	if (want < 0)   /* auto: only on a terminal, for known or large inputs */
		want = isatty(2) ? 2 : 0;
	p->on = want;
	p->start = p->last = now_seconds();
}

static void progress_line(struct progress *p, uint64_t offset, uint64_t records, double t)
{
	double el = t - p->start;
	double mbs = el > 0 ? (double)offset / 1e6 / el : 0.0;
	uint64_t packed;

	if (decomp_progress(&packed)) {
		/* Compressed input: the file size counts compressed octets. */
		if (p->total)
			fprintf(stderr, "\r%s: %.1f/%.1f MB compressed (%3d%%), %.1f MB uncompressed, "
			        "%" PRIu64 " records, %.1f MB/s ", progname, (double)packed / 1e6,
			        (double)p->total / 1e6, (int)(packed * 100 / p->total),
			        (double)offset / 1e6, records, mbs);
		else
			fprintf(stderr, "\r%s: %.1f MB compressed, %.1f MB uncompressed, %" PRIu64
			        " records, %.1f MB/s ", progname, (double)packed / 1e6,
			        (double)offset / 1e6, records, mbs);
	} else if (p->total)
		fprintf(stderr, "\r%s: %.1f/%.1f MB (%3d%%), %" PRIu64 " records, %.1f MB/s ",
		        progname, (double)offset / 1e6, (double)p->total / 1e6,
		        (int)(offset * 100 / p->total), records, mbs);
	else
		fprintf(stderr, "\r%s: %.1f MB, %" PRIu64 " records, %.1f MB/s ", progname,
		        (double)offset / 1e6, records, mbs);
	p->shown = 1;
}

void progress_update(struct progress *p, uint64_t offset, uint64_t records)
{
	double t;

	if (!p->on || (records & 63) != 0)
		return;
	t = now_seconds();
	if (t - p->last < 0.25)
		return;
	/* Automatic progress stays quiet for small inputs of unknown size. */
	if (p->on == 2 && !p->total && offset < (64u << 20))
		return;
	p->last = t;
	progress_line(p, offset, records, t);
}

void progress_done(struct progress *p, uint64_t offset, uint64_t records)
{
	if (!p->on)
		return;
	if (p->on == 1 || p->shown)
		progress_line(p, offset, records, now_seconds());
	if (p->shown)
		fputc('\n', stderr);
}

/* ================================================================ findings */

const char *layer_name(uint32_t layer)
{
	switch (layer) {
	case MIGSTREAM_LAYER_XL: return "xl";
	case MIGSTREAM_LAYER_LIBXL: return "libxl";
	case MIGSTREAM_LAYER_LIBXC: return "libxc";
	default: return "none";
	}
}

/* The library's message, plus the option that reads a capture when the
 * finding is what a capture read as a file gives: octets after END (the
 * sender's protocol follows it), or an end after complete checkpoints. */
static const char *with_hint(const migstream_diag *d, char *buf, size_t size)
{
	if (!read_as_file || d->severity != MIGSTREAM_SEV_ERROR ||
	    (strcmp(d->rule, "ORDER-1") != 0 && strcmp(d->rule, "CKPT-5") != 0))
		return d->message;
	snprintf(buf, size, "%s; if this is a migration capture, use --channel", d->message);
	return buf;
}

void diag_print(void *ctx, const migstream_diag *d)
{
	struct diag_printer *dp = ctx;
	char buf[1024];
	const char *message = with_hint(d, buf, sizeof buf);

	if (d->severity == MIGSTREAM_SEV_ERROR) {
		dp->errors++;
		dp->last_code = d->code;
		dp->last_offset = d->offset;
	}
	else if (d->severity == MIGSTREAM_SEV_WARNING)
		dp->warnings++;
	else
		dp->infos++;
	if (dp->quiet || (d->severity == MIGSTREAM_SEV_INFO && !dp->info))
		return;
	if (dp->printed >= DIAG_LIMIT) {
		dp->suppressed++;
		return;
	}
	dp->printed++;
	if (dp->json) {
		fprintf(dp->out, "{\"kind\":\"diag\",\"severity\":");
		json_str(dp->out, migstream_severity_name(d->severity));
		fprintf(dp->out, ",\"rule\":");
		json_str(dp->out, d->rule);
		fprintf(dp->out, ",\"code\":%" PRId32 ",\"code_name\":", d->code);
		json_str(dp->out, d->code ? migstream_error_name(d->code) : "");
		fprintf(dp->out, ",\"layer\":\"%s\",\"offset\":%" PRIu64 ",\"record\":",
		        layer_name(d->layer), d->offset);
		if (d->record_index == MIGSTREAM_NO_RECORD)
			fprintf(dp->out, "null");
		else
			fprintf(dp->out, "%" PRIu64, d->record_index);
		fprintf(dp->out, ",\"rec_type\":%" PRIu32 ",\"message\":", d->rec_type);
		json_str(dp->out, message);
		fprintf(dp->out, "}\n");
		return;
	}
	if (dp->use_syslog) {
		syslog(d->severity == MIGSTREAM_SEV_ERROR ? LOG_ERR :
		       d->severity == MIGSTREAM_SEV_WARNING ? LOG_WARNING : LOG_INFO,
		       "%s%s%s: %s", migstream_severity_name(d->severity), d->rule[0] ? " " : "",
		       d->rule, message);
		return;
	}
	/* One line: severity, rule ID, then the library's message, which
	 * names the record (ordinal, type), its offset and what was expected
	 * and found. */
	fprintf(dp->out, "%s%s%s: %s", migstream_severity_name(d->severity),
	        d->rule[0] ? " " : "", d->rule, message);
	/* Verbose: point to the rule's explanation, which the library carries. */
	if (dp->explain && d->rule[0])
		fprintf(dp->out, " (migstream explain %s)", d->rule);
	fputc('\n', dp->out);
}

void diag_finish(struct diag_printer *dp)
{
	if (dp->suppressed && !dp->quiet) {
		if (dp->use_syslog)
			syslog(LOG_ERR, "... %" PRIu64 " more", dp->suppressed);
		else if (dp->json)
			fprintf(dp->out, "{\"kind\":\"diag_suppressed\",\"count\":%" PRIu64 "}\n",
			        dp->suppressed);
		else
			fprintf(dp->out, "... %" PRIu64 " more\n", dp->suppressed);
	}
}

int report_end(struct diag_printer *dp, migstream_reader *r, int rc, const char *name)
{
	migstream_diag d;

	if (rc == MIGSTREAM_EOF)
		return dp->errors ? EXIT_INVALID : EXIT_VALID;
	memset(&d, 0, sizeof d);
	migstream_reader_error(r, &d, sizeof d);
	if (!(dp->errors && d.code == dp->last_code && d.offset == dp->last_offset) && !dp->quiet) {
		if (dp->json) {
			fprintf(dp->out, "{\"kind\":\"diag\",\"severity\":\"error\",\"rule\":");
			json_str(dp->out, d.rule ? d.rule : "");
			fprintf(dp->out, ",\"code\":%d,\"code_name\":\"%s\",\"layer\":\"%s\","
			        "\"offset\":%" PRIu64 ",\"record\":null,\"rec_type\":0,\"message\":",
			        rc, migstream_error_name(rc), layer_name(d.layer), d.offset);
			json_str(dp->out, migstream_reader_errmsg(r));
			fprintf(dp->out, "}\n");
		} else if (dp->use_syslog) {
			syslog(LOG_ERR, "error: %s: %s", name, migstream_reader_errmsg(r));
		} else {
			fprintf(dp->out, "error: %s: %s\n", name, migstream_reader_errmsg(r));
		}
	}
	/* The exit status table (migstream.1): a failure while reading the
	 * data (I/O error, a source that would block) is 1 like an invalid
	 * stream; 2 is kept for what stops the command from doing its work
	 * at all (usage, out of memory, misuse). */
	switch (rc) {
	case MIGSTREAM_E_NOMEM:
	case MIGSTREAM_E_INVAL:
	case MIGSTREAM_E_STATE:
		return EXIT_USAGE;
	default:
		return EXIT_INVALID;
	}
}

/* ==================================================================== JSON */

void json_strn(FILE *f, const void *p, size_t n)
{
	const unsigned char *s = p;

	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned c = s[i];
		switch (c) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			/* Control octets and non-ASCII octets are escaped, so the
			 * output is valid JSON (and ASCII) whatever the input. */
			if (c < 0x20 || c >= 0x7f)
				fprintf(f, "\\u%04x", c);
			else
				fputc((int)c, f);
		}
	}
	fputc('"', f);
}

void json_str(FILE *f, const char *s)
{
	json_strn(f, s ? s : "", s ? strlen(s) : 0);
}

/* ================================================================== fields */

void fields_init(struct fields *fs)
{
	fs->n = 0;
	fs->used = 0;
}

static struct field *f_add(struct fields *fs, const char *key, int kind)
{
	if (fs->n >= (int)(sizeof fs->f / sizeof fs->f[0]))
		return NULL;
	struct field *f = &fs->f[fs->n++];
	f->key = key;
	f->kind = kind;
	f->u = 0;
	f->s = NULL;
	return f;
}

void f_uint(struct fields *fs, const char *key, uint64_t v)
{
	struct field *f = f_add(fs, key, F_UINT);
	if (f)
		f->u = v;
}

void f_hex(struct fields *fs, const char *key, uint64_t v)
{
	struct field *f = f_add(fs, key, F_HEX);
	if (f)
		f->u = v;
}

void f_str(struct fields *fs, const char *key, const char *s)
{
	struct field *f = f_add(fs, key, F_STR);
	if (f)
		f->s = s;
}

void f_bool(struct fields *fs, const char *key, int v)
{
	struct field *f = f_add(fs, key, F_BOOL);
	if (f)
		f->u = v != 0;
}

void fields_text(FILE *f, const struct fields *fs)
{
	for (int i = 0; i < fs->n; i++) {
		const struct field *x = &fs->f[i];
		fprintf(f, "%s%s ", i ? ", " : "", x->key);
		switch (x->kind) {
		case F_UINT: fprintf(f, "%" PRIu64, x->u); break;
		case F_HEX: fprintf(f, "0x%" PRIx64, x->u); break;
		case F_BOOL: fputs(x->u ? "yes" : "no", f); break;
		default: fputs(x->s ? x->s : "", f); break;
		}
	}
}

/* Numbers are JSON numbers; F_HEX values (pfns, MSR values, flags) are
 * strings "0x..." so that 64-bit values survive parsers that use doubles. */
void fields_json(FILE *f, const struct fields *fs)
{
	for (int i = 0; i < fs->n; i++) {
		const struct field *x = &fs->f[i];
		fprintf(f, ",\"%s\":", x->key);
		switch (x->kind) {
		case F_UINT: fprintf(f, "%" PRIu64, x->u); break;
		case F_HEX: fprintf(f, "\"0x%" PRIx64 "\"", x->u); break;
		case F_BOOL: fputs(x->u ? "true" : "false", f); break;
		default: json_str(f, x->s); break;
		}
	}
}

const char *domain_type_name(uint32_t type)
{
	switch (type) {
	case MIGSTREAM_DOMAIN_X86_PV: return "x86 PV";
	case MIGSTREAM_DOMAIN_X86_HVM: return "x86 HVM";
	default: return "unknown";
	}
}

static const char *emulator_name(uint32_t id)
{
	switch (id) {
	case MIGSTREAM_EMULATOR_UNKNOWN: return "unknown";
	case MIGSTREAM_EMULATOR_QEMU_TRADITIONAL: return "qemu-traditional";
	case MIGSTREAM_EMULATOR_QEMU_UPSTREAM: return "qemu-upstream";
	default: return "invalid";
	}
}

static const char *control_name(uint32_t id)
{
	switch (id) {
	case MIGSTREAM_CHECKPOINT_NEW: return "NEW_CHECKPOINT";
	case MIGSTREAM_CHECKPOINT_SVM_SUSPENDED: return "SVM_SUSPENDED";
	case MIGSTREAM_CHECKPOINT_SVM_READY: return "SVM_READY";
	case MIGSTREAM_CHECKPOINT_SVM_RESUMED: return "SVM_RESUMED";
	default: return "invalid";
	}
}

/* The fields of a libxl record. */
static void libxl_fields(const migstream_record *rec, struct fields *fs)
{
	uint32_t type = migstream_record_type(rec);
	uint32_t u32 = 0, v32 = 0;
	const void *p;
	size_t len;

	switch (type) {
	case MIGSTREAM_LIBXL_REC_EMULATOR_XENSTORE_DATA:
	case MIGSTREAM_LIBXL_REC_EMULATOR_CONTEXT:
		if (migstream_record_get_emulator(rec, &u32, &v32) == 0) {
			f_uint(fs, "emulator_id", u32);
			f_str(fs, "emulator", emulator_name(u32));
			f_uint(fs, "emulator_index", v32);
		}
		if (type == MIGSTREAM_LIBXL_REC_EMULATOR_CONTEXT &&
		    migstream_record_get_emulator_context(rec, &p, &len) == 0)
			f_uint(fs, "context_len", len);
		if (type == MIGSTREAM_LIBXL_REC_EMULATOR_XENSTORE_DATA) {
			size_t pos = 0;
			const char *k, *v;
			uint64_t pairs = 0;
			int rc;
			while ((rc = migstream_record_next_xenstore_pair(rec, &pos, &k, &v)) == 0)
				pairs++;
			if (rc == MIGSTREAM_EOF)
				f_uint(fs, "pairs", pairs);
		}
		break;
	case MIGSTREAM_LIBXL_REC_CHECKPOINT_STATE:
		if (migstream_record_get_checkpoint_state(rec, &u32) == 0) {
			f_uint(fs, "control_id", u32);
			f_str(fs, "control", control_name(u32));
		}
		break;
	default:
		if ((type & MIGSTREAM_REC_OPTIONAL) &&
		    migstream_record_get_blob(rec, &p, &len) == 0)
			f_uint(fs, "blob_len", len);
		break;
	}
}

/* The fields of a libxc record. */
static void libxc_fields(const migstream_record *rec, struct fields *fs)
{
	uint32_t type = migstream_record_type(rec);
	uint32_t n = 0, u32 = 0, v32 = 0;
	const void *p;
	size_t len;

	switch (type) {
	case MIGSTREAM_REC_PAGE_DATA: {
		uint64_t pfn, lo = UINT64_MAX, hi = 0;
		uint32_t pt;
		if (migstream_record_count(rec, &n) == 0)
			f_uint(fs, "count", n);
		if (migstream_record_data_page_count(rec, &u32) == 0)
			f_uint(fs, "data_pages", u32);
		for (uint32_t i = 0; i < n; i++) {
			if (migstream_record_get_pfn(rec, i, &pfn, &pt) != 0)
				break;
			if (pfn < lo)
				lo = pfn;
			if (pfn > hi)
				hi = pfn;
		}
		if (n && lo != UINT64_MAX) {
			f_hex(fs, "pfn_min", lo);
			f_hex(fs, "pfn_max", hi);
		}
		if (migstream_record_get_page_data_reserved(rec, &u32) == 0 && u32)
			f_hex(fs, "reserved", u32);
		break;
	}
	case MIGSTREAM_REC_X86_PV_INFO: {
		migstream_x86_pv_info info;
		if (migstream_record_get_x86_pv_info(rec, &info, sizeof info) == 0) {
			f_uint(fs, "guest_width", info.guest_width);
			f_uint(fs, "pt_levels", info.pt_levels);
		}
		break;
	}
	case MIGSTREAM_REC_X86_PV_P2M_FRAMES:
		if (migstream_record_get_p2m_range(rec, &u32, &v32) == 0) {
			f_hex(fs, "start_pfn", u32);
			f_hex(fs, "end_pfn", v32);
		}
		if (migstream_record_count(rec, &n) == 0)
			f_uint(fs, "count", n);
		break;
	case MIGSTREAM_REC_X86_PV_VCPU_BASIC:
	case MIGSTREAM_REC_X86_PV_VCPU_EXTENDED:
	case MIGSTREAM_REC_X86_PV_VCPU_XSAVE:
	case MIGSTREAM_REC_X86_PV_VCPU_MSRS:
		if (migstream_record_get_vcpu(rec, &u32, &v32, NULL, &len) == 0) {
			f_uint(fs, "vcpu", u32);
			f_uint(fs, "context_len", len);
			if (v32)
				f_hex(fs, "reserved", v32);
		}
		if (type == MIGSTREAM_REC_X86_PV_VCPU_MSRS && migstream_record_count(rec, &n) == 0)
			f_uint(fs, "msrs", n);
		break;
	case MIGSTREAM_REC_SHARED_INFO:
	case MIGSTREAM_REC_HVM_CONTEXT:
	case MIGSTREAM_REC_TOOLSTACK:
		if (migstream_record_get_blob(rec, &p, &len) == 0)
			f_uint(fs, "blob_len", len);
		break;
	case MIGSTREAM_REC_X86_TSC_INFO: {
		migstream_tsc_info tsc;
		if (migstream_record_get_tsc_info(rec, &tsc, sizeof tsc) == 0) {
			f_uint(fs, "mode", tsc.mode);
			f_uint(fs, "khz", tsc.khz);
			f_uint(fs, "nsec", tsc.nsec);
			f_uint(fs, "incarnation", tsc.incarnation);
			if (tsc.reserved)
				f_hex(fs, "reserved", tsc.reserved);
		}
		break;
	}
	case MIGSTREAM_REC_HVM_PARAMS:
		if (migstream_record_count(rec, &n) == 0)
			f_uint(fs, "count", n);
		break;
	case MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST:
		if (migstream_record_count(rec, &n) == 0)
			f_uint(fs, "count", n);
		break;
	case MIGSTREAM_REC_X86_CPUID_POLICY:
		if (migstream_record_count(rec, &n) == 0)
			f_uint(fs, "leaves", n);
		break;
	case MIGSTREAM_REC_X86_MSR_POLICY:
		if (migstream_record_count(rec, &n) == 0)
			f_uint(fs, "entries", n);
		break;
	default:
		if ((type & MIGSTREAM_REC_OPTIONAL) && migstream_record_get_blob(rec, &p, &len) == 0)
			f_uint(fs, "blob_len", len);
		break;
	}
}

void record_fields(const migstream_record *rec, struct fields *fs)
{
	fields_init(fs);
	if (migstream_record_layer(rec) == MIGSTREAM_LAYER_LIBXL)
		libxl_fields(rec, fs);
	else if (migstream_record_layer(rec) == MIGSTREAM_LAYER_LIBXC)
		libxc_fields(rec, fs);
}

/* ================================================================= headers */

void headers_init(struct hdr_state *hs)
{
	memset(hs, 0, sizeof *hs);
}

void headers_record(struct hdr_state *hs, const migstream_record *rec)
{
	if (migstream_record_layer(rec) == MIGSTREAM_LAYER_LIBXL &&
	    migstream_record_type(rec) == MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT)
		hs->libxc_done = 0;
}

/* Where the reader found a header (the library knows its size). */
static uint64_t header_offset(migstream_reader *r, int which)
{
	uint64_t off = 0, len = 0;

	if (migstream_reader_get_header_span(r, which, &off, &len) != 0)
		return 0;
	return off;
}

void headers_emit(migstream_reader *r, struct hdr_state *hs, hdr_emit_fn fn, void *ctx)
{
	struct fields fs;

	if (!hs->xl_done) {
		migstream_xl_header xh;
		const void *cfg;
		size_t cfg_len = 0;
		if (migstream_reader_get_xl_header(r, &xh, sizeof xh) == 0) {
			hs->xl_done = 1;
			fields_init(&fs);
			f_str(&fs, "byteorder", xh.byteorder == MIGSTREAM_XL_BYTEORDER_LE ? "little" :
			                        xh.byteorder == MIGSTREAM_XL_BYTEORDER_BE ? "big" : "invalid");
			f_hex(&fs, "mandatory_flags", xh.mandatory_flags);
			f_bool(&fs, "json_config", xh.mandatory_flags & MIGSTREAM_XL_FLAG_JSON);
			f_bool(&fs, "streamv2", xh.mandatory_flags & MIGSTREAM_XL_FLAG_STREAMV2);
			f_hex(&fs, "optional_flags", xh.optional_flags);
			f_uint(&fs, "optional_data_len", xh.optional_data_len);
			if (migstream_reader_get_xl_config(r, &cfg, &cfg_len) == 0)
				f_uint(&fs, "config_len", cfg_len);
			fn(ctx, "xl_header", header_offset(r, MIGSTREAM_HEADER_XL), &fs);
		}
	}
	if (!hs->libxl_done) {
		migstream_libxl_header lh;
		if (migstream_reader_get_libxl_header(r, &lh, sizeof lh) == 0) {
			hs->libxl_done = 1;
			fields_init(&fs);
			f_uint(&fs, "version", lh.version);
			f_hex(&fs, "options", lh.options);
			f_bool(&fs, "big_endian", lh.options & MIGSTREAM_LIBXL_OPT_BIG_ENDIAN);
			f_bool(&fs, "legacy", lh.options & MIGSTREAM_LIBXL_OPT_LEGACY);
			fn(ctx, "libxl_header", header_offset(r, MIGSTREAM_HEADER_LIBXL), &fs);
		}
	}
	if (!hs->libxc_done) {
		migstream_image_header ih;
		migstream_domain_header dh;
		if (migstream_reader_get_image_header(r, &ih, sizeof ih) == 0 &&
		    migstream_reader_get_domain_header(r, &dh, sizeof dh) == 0) {
			hs->libxc_done = 1;
			fields_init(&fs);
			f_uint(&fs, "version", ih.version);
			f_hex(&fs, "options", ih.options);
			f_bool(&fs, "big_endian", ih.options & 1u);
			fn(ctx, "image_header", header_offset(r, MIGSTREAM_HEADER_IMAGE), &fs);
			fields_init(&fs);
			f_uint(&fs, "type", dh.type);
			f_str(&fs, "type_name", domain_type_name(dh.type));
			f_uint(&fs, "page_shift", dh.page_shift);
			f_uint(&fs, "xen_major", dh.xen_major);
			f_uint(&fs, "xen_minor", dh.xen_minor);
			fn(ctx, "domain_header", header_offset(r, MIGSTREAM_HEADER_DOMAIN), &fs);
		}
	}
}

/* ================================================================ pfn sets */

#define CHUNK_SHIFT 15                       /* 32768 pfns per chunk */
#define CHUNK_BYTES ((1u << CHUNK_SHIFT) / 8)

void pfnset_init(struct pfnset *s)
{
	memset(s, 0, sizeof *s);
}

void pfnset_budget(struct pfnset *s, uint64_t bytes)
{
	s->budget = bytes;
}

static size_t slot_of(uint64_t key, size_t cap)
{
	uint64_t h = key * 0x9E3779B97F4A7C15ull;
	return (size_t)(h >> 20) & (cap - 1);
}

static uint8_t *chunk_find(const struct pfnset *s, uint64_t key)
{
	if (!s->cap)
		return NULL;
	for (size_t i = slot_of(key, s->cap);; i = (i + 1) & (s->cap - 1)) {
		if (s->keys[i] == key)
			return s->bits[i];
		if (s->keys[i] == UINT64_MAX)
			return NULL;
	}
}

static int grow(struct pfnset *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 64;
	uint64_t *nk = malloc(ncap * sizeof *nk);
	uint8_t **nb = malloc(ncap * sizeof *nb);

	if (!nk || !nb) {
		free(nk);
		free(nb);
		return -1;
	}
	for (size_t i = 0; i < ncap; i++)
		nk[i] = UINT64_MAX;
	for (size_t i = 0; i < s->cap; i++) {
		if (s->keys[i] == UINT64_MAX)
			continue;
		size_t j = slot_of(s->keys[i], ncap);
		while (nk[j] != UINT64_MAX)
			j = (j + 1) & (ncap - 1);
		nk[j] = s->keys[i];
		nb[j] = s->bits[i];
	}
	free(s->keys);
	free(s->bits);
	s->keys = nk;
	s->bits = nb;
	s->cap = ncap;
	return 0;
}

int pfnset_add(struct pfnset *s, uint64_t pfn)
{
	uint64_t key = pfn >> CHUNK_SHIFT;
	uint32_t bit = (uint32_t)(pfn & ((1u << CHUNK_SHIFT) - 1));
	uint8_t *b = chunk_find(s, key);

	if (!b) {
		/* A new chunk, and perhaps a table twice the size: within budget?
		 * Scattered pfns cost a chunk each, so the bound is what holds
		 * memory whatever the stream says. */
		uint64_t more = CHUNK_BYTES + ((s->used + 1) * 2 > s->cap ? (s->cap ? s->cap * 2 : 64) * 16 : 0);
		if (s->budget && s->bytes + more > s->budget) {
			s->over = 1;
			return -2;
		}
		if ((s->used + 1) * 2 > s->cap) {
			size_t old = s->cap;
			if (grow(s) != 0)
				return -1;
			s->bytes += (uint64_t)(s->cap - old) * 16;
		}
		b = calloc(1, CHUNK_BYTES);
		if (!b)
			return -1;
		size_t i = slot_of(key, s->cap);
		while (s->keys[i] != UINT64_MAX)
			i = (i + 1) & (s->cap - 1);
		s->keys[i] = key;
		s->bits[i] = b;
		s->used++;
		s->bytes += CHUNK_BYTES;
	}
	if (b[bit >> 3] & (1u << (bit & 7)))
		return 1;
	b[bit >> 3] |= (uint8_t)(1u << (bit & 7));
	s->count++;
	return 0;
}

int pfnset_has(const struct pfnset *s, uint64_t pfn)
{
	uint32_t bit = (uint32_t)(pfn & ((1u << CHUNK_SHIFT) - 1));
	const uint8_t *b = chunk_find(s, pfn >> CHUNK_SHIFT);

	return b && (b[bit >> 3] & (1u << (bit & 7)));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int pfnset_runs(const struct pfnset *s, int (*fn)(void *, uint64_t, uint64_t), void *ctx)
{
	uint64_t *keys = malloc((s->used ? s->used : 1) * sizeof *keys);
	size_t k = 0;
	uint64_t first = 0, n = 0;
	int rc = 0;

	if (!keys)
		return -1;
	for (size_t i = 0; i < s->cap; i++)
		if (s->keys[i] != UINT64_MAX)
			keys[k++] = s->keys[i];
	qsort(keys, k, sizeof *keys, cmp_u64);
	for (size_t i = 0; i < k && rc == 0; i++) {
		const uint8_t *b = chunk_find(s, keys[i]);
		uint64_t base = keys[i] << CHUNK_SHIFT;
		for (uint32_t o = 0; o < CHUNK_BYTES && rc == 0; o++) {
			for (uint32_t bit = 0; bit < 8 && rc == 0; bit++) {
				uint64_t pfn = base + o * 8 + bit;
				if (!(b[o] & (1u << bit))) {
					if (n)
						rc = fn(ctx, first, n);
					n = 0;
					if (!b[o])
						break;   /* an empty octet: nothing more here */
					continue;
				}
				if (n && first + n == pfn) {
					n++;
				} else {
					if (n)
						rc = fn(ctx, first, n);
					first = pfn;
					n = 1;
				}
			}
		}
	}
	if (n && rc == 0)
		rc = fn(ctx, first, n);
	free(keys);
	return rc;
}

void pfnset_free(struct pfnset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		if (s->keys[i] != UINT64_MAX)
			free(s->bits[i]);
	free(s->keys);
	free(s->bits);
	memset(s, 0, sizeof *s);
}

uint64_t fnv1a64(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}
