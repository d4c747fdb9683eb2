/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * migstream verify: check a stream against every rule of spec/rules.md.
 * Command-line compatible with Xen's verify-stream-v2 where the options
 * overlap (-i, -f, -v, -q, --syslog; standard input by default; exit 0
 * valid, 1 invalid, 2 usage or internal error).
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "common.h"
#include "commands.h"

static void verify_usage(FILE *f)
{
	fprintf(f,
	        "usage: migstream verify [OPTIONS] [FILE|-]\n"
	        "       migstream verify [OPTIONS] -i FILE|FD\n"
	        "\n"
	        "Check a Xen save/migration stream (standard input by default).\n"
	        "Exit status: 0 valid, 1 invalid, 2 usage or internal error.\n"
	        "\n"
	        "  -f, --format auto|libxc|libxl|xl   stream format (default auto)\n"
	        "  -i, --in FILE|FD       input (verify-stream-v2 spelling)\n"
	        "  -v, --verbose          summarise headers and records (PAGE_DATA runs\n"
	        "                         squashed), with offsets and decoded fields; end\n"
	        "                         each finding with \"(migstream explain ID)\"\n"
	        "  -q, --quiet            print nothing; only the exit status\n"
	        "  --strict               reserved fields and padding must be zero (default)\n"
	        "  --restore              accept what Xen restores; report anomalies as warnings\n"
	        "  --lax                  report every finding and read on while framing holds\n"
	        "  --channel              a migration channel: stop after the final END and\n"
	        "                         report how many octets follow\n"
	        "  --plain, --remus, --colo, --back-channel   declare the stream kind\n"
	        "  --no-deep              skip the checks that need a per-pfn map\n"
	        "  --progress, --no-progress   progress line on standard error\n"
	        "  --syslog               send messages to syslog\n"
	        "  -h, --help             this text\n");
}

struct page_run {
	uint64_t records, entries, pages;
	uint64_t first_index, last_index, first_off;
	uint64_t pfn_min, pfn_max;
};

struct verify {
	int verbose;
	int use_syslog;
	struct page_run run;
};

/* Informational output (-v): standard output, or syslog. */
static void info_line(struct verify *v, const char *line)
{
	if (v->use_syslog)
		syslog(LOG_INFO, "%s", line);
	else
		printf("%s\n", line);
}

static void hdr_print(void *ctx, const char *kind, uint64_t offset, const struct fields *fs)
{
	struct verify *v = ctx;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return;
	fprintf(m, "0x%08" PRIx64 "  %s: ", offset, kind);
	fields_text(m, fs);
	fclose(m);
	info_line(v, buf);
	free(buf);
}

static void flush_run(struct verify *v)
{
	struct page_run *p = &v->run;
	char line[512];

	char pfns[64] = "no data pfns";

	if (!p->records)
		return;
	if (p->pages)
		snprintf(pfns, sizeof pfns, "data pfns 0x%" PRIx64 "-0x%" PRIx64, p->pfn_min, p->pfn_max);
	if (p->records == 1)
		snprintf(line, sizeof line,
		         "0x%08" PRIx64 "  libxc #%" PRIu64 " PAGE_DATA: count %" PRIu64
		         ", data_pages %" PRIu64 ", %s",
		         p->first_off, p->first_index, p->entries, p->pages, pfns);
	else
		snprintf(line, sizeof line,
		         "0x%08" PRIx64 "  libxc #%" PRIu64 "-#%" PRIu64 " PAGE_DATA x %" PRIu64
		         " (squashed): entries %" PRIu64 ", data_pages %" PRIu64 ", %s",
		         p->first_off, p->first_index, p->last_index, p->records, p->entries, p->pages,
		         pfns);
	info_line(v, line);
	memset(p, 0, sizeof *p);
}

static void add_run(struct verify *v, const migstream_record *rec)
{
	struct page_run *p = &v->run;
	uint32_t n = 0, pages = 0, type;
	uint64_t pfn;

	if (!p->records) {
		p->first_index = migstream_record_index(rec);
		p->first_off = migstream_record_offset(rec);
		p->pfn_min = UINT64_MAX;
	}
	p->records++;
	p->last_index = migstream_record_index(rec);
	migstream_record_count(rec, &n);
	migstream_record_data_page_count(rec, &pages);
	p->entries += n;
	p->pages += pages;
	/* The pfn range of the data pages, as stats gives it. */
	for (uint32_t i = 0; i < n; i++) {
		if (migstream_record_get_pfn(rec, i, &pfn, &type) != 0)
			break;
		if (!migstream_page_type_has_data(type))
			continue;
		if (pfn < p->pfn_min)
			p->pfn_min = pfn;
		if (pfn > p->pfn_max)
			p->pfn_max = pfn;
	}
}

static void print_record(struct verify *v, const migstream_record *rec)
{
	struct fields fs;
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	uint32_t layer = migstream_record_layer(rec), type = migstream_record_type(rec);

	if (layer == MIGSTREAM_LAYER_LIBXC && type == MIGSTREAM_REC_PAGE_DATA) {
		add_run(v, rec);
		return;
	}
	flush_run(v);
	m = open_memstream(&buf, &len);
	if (!m)
		return;
	fprintf(m, "0x%08" PRIx64 "  %s #%" PRIu64 " %s", migstream_record_offset(rec),
	        layer_name(layer), migstream_record_index(rec),
	        migstream_record_type_name(layer, type));
	if (type & MIGSTREAM_REC_OPTIONAL)
		fprintf(m, " 0x%08" PRIx32, type);
	fprintf(m, ", length %" PRIu32, migstream_record_length(rec));
	record_fields(rec, &fs);
	if (fs.n) {
		fputs(": ", m);
		fields_text(m, &fs);
	}
	fclose(m);
	info_line(v, buf);
	free(buf);
}

/* An -i argument that is all digits and names no file is a descriptor. */
static int fd_argument(const char *s)
{
	FILE *f;

	if (!*s)
		return -1;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	f = fopen(s, "r");
	if (f) {
		fclose(f);
		return -1;
	}
	return atoi(s);
}

/* The options; the input path (NULL: standard input) in *path.  0 to go
 * on, else the exit status (after --help, or a usage error). */
static int verify_options(int argc, char **argv, struct read_opts *o, struct verify *v,
                          int *quiet, const char **path)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int k = read_opts_parse(o, argc, argv, &i);
		if (k < 0)
			return EXIT_USAGE;
		if (k > 0)
			continue;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			verify_usage(stdout);
			return -1;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			v->verbose = 1;
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			*quiet = 1;
		} else if (strcmp(a, "--syslog") == 0) {
			v->use_syslog = 1;
		} else if (strcmp(a, "-i") == 0 || strcmp(a, "--in") == 0) {
			if (i + 1 >= argc || *path) {
				verify_usage(stderr);
				return EXIT_USAGE;
			}
			*path = argv[++i];
		} else if (strncmp(a, "--in=", 5) == 0 && !*path) {
			*path = a + 5;
		} else if (strncmp(a, "-i", 2) == 0 && a[2] && !*path) {
			*path = a + 2;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "%s verify: unknown option '%s'\n", progname, a);
			verify_usage(stderr);
			return EXIT_USAGE;
		} else if (!*path) {
			*path = a;
		} else {
			verify_usage(stderr);
			return EXIT_USAGE;
		}
	}
	return 0;
}

/* The closing lines: the channel's trailing octets, -v's summary. */
static void verify_summary(struct verify *v, struct session *s, const struct read_opts *o,
                           int status, int quiet)
{
	char line[256];
	uint64_t end = migstream_reader_offset(s->r);

	if (s->rc != MIGSTREAM_EOF) {
		if (v->verbose) {
			snprintf(line, sizeof line, "invalid: %" PRIu64 " records read, %" PRIu64 " errors",
			         s->records, s->dp.errors ? s->dp.errors : 1);
			info_line(v, line);
		}
		return;
	}
	const migstream_checkpoint_info *c = &s->rounds.ci;
	if (o->channel && c->checkpointed && !c->back_channel) {
		/* A failover: the guest resumes from the last complete
		 * checkpoint, not from where the octets stop. */
		snprintf(line, sizeof line,
		         "channel: failover at offset 0x%" PRIx64 " (end of complete checkpoint %"
		         PRIu64 "); %" PRIu64 " octets discarded; the stream ends at offset 0x%" PRIx64,
		         c->commit_offset, c->committed,
		         c->state == MIGSTREAM_CKPT_DISCARDED ? c->discarded_octets : 0,
		         c->commit_offset + (c->state == MIGSTREAM_CKPT_DISCARDED ? c->discarded_octets : 0));
		if (!quiet)
			info_line(v, line);
	} else if (o->channel) {
		uint64_t t = input_trailing(&s->in, s->r);
		snprintf(line, sizeof line,
		         "channel: the stream ends at offset 0x%" PRIx64 "; %" PRIu64
		         " octets follow it", end, t);
		if (!quiet)
			info_line(v, line);
	}
	if (v->verbose && c->checkpointed) {
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		if (m) {
			rounds_text(m, &s->rounds, "");
			fclose(m);
			for (char *l = buf, *nl; l && *l; l = nl) {
				if ((nl = strchr(l, '\n')))
					*nl++ = '\0';
				info_line(v, l);
			}
			free(buf);
		}
	}
	if (v->verbose) {
		snprintf(line, sizeof line,
		         "%s: %" PRIu64 " records, %" PRIu64 " octets, %" PRIu64 " errors, %" PRIu64
		         " warnings, %" PRIu64 " anomalies",
		         status == EXIT_VALID ? "valid" : "invalid", s->records, end, s->dp.errors,
		         s->dp.warnings, migstream_reader_anomalies(s->r));
		info_line(v, line);
	}
}

int cmd_verify(int argc, char **argv)
{
	struct read_opts o;
	struct verify v;
	struct session s;
	struct hdr_state hs;
	const migstream_record *rec;
	const char *path = NULL;
	char fdname[32];
	int status, quiet = 0;

	memset(&v, 0, sizeof v);
	read_opts_init(&o, MIGSTREAM_MODE_STRICT);
	if ((status = verify_options(argc, argv, &o, &v, &quiet, &path)) != 0)
		return status < 0 ? 0 : status;

	if (path) {
		int fd = fd_argument(path);
		if (fd >= 0) {
			/* verify-stream-v2's "-i FD": read that descriptor. */
			snprintf(fdname, sizeof fdname, "/dev/fd/%d", fd);
			path = fdname;
		}
	}
	session_init(&s);
	s.read_fd = 1;
	if (v.use_syslog) {
		openlog("migstream-verify", LOG_PID, LOG_USER);
		s.dp.use_syslog = 1;
	}
	s.dp.quiet = quiet;
	s.dp.info = v.verbose;
	s.dp.explain = v.verbose;
	if (quiet)
		v.verbose = 0;
	if (session_open(&s, path ? path : "-", &o) != 0)
		return EXIT_USAGE;
	headers_init(&hs);
	if (v.verbose)
		headers_emit(s.r, &hs, hdr_print, &v);
	while (session_next(&s, &rec)) {
		if (!v.verbose)
			continue;
		headers_record(&hs, rec);
		headers_emit(s.r, &hs, hdr_print, &v);
		print_record(&v, rec);
	}
	flush_run(&v);
	status = session_finish(&s);
	verify_summary(&v, &s, &o, status, quiet);
	session_close(&s);
	if (fflush(stdout) != 0)
		return EXIT_USAGE;
	if (v.use_syslog)
		closelog();
	return status;
}
