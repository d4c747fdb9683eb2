/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * migstream copy: re-encode a stream through the reader and the writer.
 *
 * Without a byte-order option every record goes back out as it came in
 * (migstream_writer_put_record() with the record's body; PAGE_DATA through
 * migstream_writer_put_page_data() with page views), so a valid stream is
 * copied octet for octet.  With --big-endian or --little-endian, the
 * headers are rewritten with the byte-order bit changed (xl byteorder,
 * libxl options bit 0, libxc image options bit 0) and every record goes
 * through its typed accessor and the matching typed put call, so integers
 * follow the new order; x86 blobs, page contents and emulator blobs are
 * octets and are copied as they are.
 *
 * Options that change the encoding but not the content:
 *   --batch N        PAGE_DATA records of at most N entries (split, in order);
 *   --canonical      the canonical output profile (format.md 17):
 *                    little-endian, at most 1024 entries per PAGE_DATA,
 *                    HVM_PARAMS before HVM_CONTEXT, no empty data records;
 *   --channel        input is a migration channel: stop after the final END
 *                    and leave what follows (a clean save file results);
 *   --drop-optional  leave out optional (bit 31) records.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "commands.h"
#include "flatten.h"

static void copy_usage(FILE *f)
{
	fprintf(f,
	        "usage: migstream copy [--big-endian|--little-endian] [OPTIONS] IN OUT\n"
	        "\n"
	        "Read IN, verify it, and write it to OUT (\"-\": standard input/output).\n"
	        "The copy is octet for octet identical unless an option changes something.\n"
	        "A regular-file OUT is written to a temporary file beside it and replaces\n"
	        "OUT only when the copy succeeds; on failure OUT is left as it was.  A\n"
	        "device, FIFO or socket is written in place.  OUT may not be IN.\n"
	        "Exit status: 0 copied, 1 invalid input or a read/write failure,\n"
	        "2 usage or cannot start (IN missing, OUT not creatable, OUT is IN).\n"
	        "\n"
	        "  --big-endian           write every layer big-endian\n"
	        "  --little-endian        write every layer little-endian\n"
	        "  --batch N              PAGE_DATA records of at most N pfns (1-1024)\n"
	        "  --canonical            canonical output profile: little-endian, PAGE_DATA\n"
	        "                         of at most 1024 pfns, HVM_PARAMS before HVM_CONTEXT,\n"
	        "                         no empty data records\n"
	        "  --channel              IN is a migration channel: stop after the final END;\n"
	        "                         a checkpointed capture (Remus, COLO) becomes a plain\n"
	        "                         save of its last complete checkpoint (pages spooled\n"
	        "                         beside OUT, or in TMPDIR)\n"
	        "  --checkpoint N         with --channel: the save of checkpoint N instead\n"
	        "                         (rounds count from 1)\n"
	        "  --drop-optional        leave out optional (bit 31) records\n"
	        "  --no-sync              do not fsync OUT and its directory before renaming\n"
	        "  --strict, --restore    reader mode (default --restore)\n"
	        "  -f, --format auto|libxc|libxl|xl   stream format (default auto)\n"
	        "  --plain, --remus, --colo, --back-channel   declare the stream kind\n"
	        "  --progress, --no-progress   progress line on standard error\n"
	        "  -h, --help             this text\n");
}

/* Scratch arrays for the array records, grown as needed. */
struct scratch {
	size_t cap;
	uint64_t *a, *b;
	uint32_t *t;
	const void **p;
	void *leaves;
	size_t leaves_cap;
};

static int scratch_reserve(struct scratch *s, size_t n)
{
	if (n <= s->cap)
		return 0;
	size_t c = s->cap ? s->cap : 1024;
	while (c < n)
		c *= 2;
	uint64_t *a = realloc(s->a, c * sizeof *a);
	if (a)
		s->a = a;
	uint64_t *b = realloc(s->b, c * sizeof *b);
	if (b)
		s->b = b;
	uint32_t *t = realloc(s->t, c * sizeof *t);
	if (t)
		s->t = t;
	const void **p = realloc(s->p, c * sizeof *p);
	if (p)
		s->p = p;
	if (!a || !b || !t || !p)
		return MIGSTREAM_E_NOMEM;
	s->cap = c;
	return 0;
}

static void *leaves_reserve(struct scratch *s, size_t bytes)
{
	if (bytes > s->leaves_cap) {
		void *p = realloc(s->leaves, bytes);
		if (!p)
			return NULL;
		s->leaves = p;
		s->leaves_cap = bytes;
	}
	return s->leaves ? s->leaves : (bytes ? NULL : (void *)s);
}

struct copier {
	migstream_reader *r;
	migstream_writer *w;
	int target;           /* -1 keep, 0 little-endian, 1 big-endian */
	int convert_xc;       /* the libxc image changes byte order */
	uint32_t batch;       /* 0 keep, else at most this many pfns per PAGE_DATA */
	int canonical;
	int drop_optional;
	/* --canonical: an HVM_CONTEXT held back until HVM_PARAMS is written. */
	void *held_ctx;
	size_t held_len;
	int holding;
	int need_xc_headers;  /* the next libxc record follows LIBXC_CONTEXT */
	uint64_t upto;        /* --checkpoint N */
	struct scratch s;
};

static int put_page_data(struct copier *c, const migstream_record *rec)
{
	uint32_t n = 0, k = 0;
	int rc;

	if ((rc = migstream_record_count(rec, &n)) != 0)
		return rc;
	if ((rc = scratch_reserve(&c->s, n ? n : 1)) != 0)
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		const void *page;
		rc = migstream_record_get_page(rec, i, &c->s.a[i], &c->s.t[i], &page);
		if (rc != 0)
			return rc;
		if (page)
			c->s.p[k++] = page;
	}
	if (c->batch == 0 || n <= c->batch)
		return migstream_writer_put_page_data(c->w, n, c->s.a, c->s.t, c->s.p);
	/* Split into records of at most c->batch entries, in order. */
	k = 0;
	for (uint32_t i = 0; i < n; i += c->batch) {
		uint32_t m = n - i < c->batch ? n - i : c->batch, data = 0;
		for (uint32_t j = 0; j < m; j++)
			data += migstream_page_type_has_data(c->s.t[i + j]) != 0;
		if ((rc = migstream_writer_put_page_data(c->w, m, c->s.a + i, c->s.t + i, c->s.p + k)) != 0)
			return rc;
		k += data;
	}
	return 0;
}

/* --canonical: is this a data record with nothing in it (COMPAT-1)? */
static int empty_data_record(const migstream_record *rec)
{
	uint32_t type = migstream_record_type(rec), n;
	if (migstream_record_layer(rec) != MIGSTREAM_LAYER_LIBXC)
		return 0;
	if (type == MIGSTREAM_REC_X86_PV_VCPU_EXTENDED || type == MIGSTREAM_REC_X86_PV_VCPU_XSAVE ||
	    type == MIGSTREAM_REC_X86_PV_VCPU_MSRS)
		return migstream_record_length(rec) == 8;
	if (type == MIGSTREAM_REC_HVM_PARAMS)
		return migstream_record_count(rec, &n) == 0 && n == 0;
	return 0;
}

/* --canonical: write a held-back HVM_CONTEXT. */
static int flush_held(struct copier *c)
{
	if (!c->holding)
		return 0;
	c->holding = 0;
	return migstream_writer_put_hvm_context(c->w, c->held_ctx, c->held_len);
}

/* One libxc record through its typed accessor and typed put call. */
static int put_libxc_typed(struct copier *c, const migstream_record *rec)
{
	migstream_writer *w = c->w;
	uint32_t type = migstream_record_type(rec), n = 0, u, v;
	const void *blob;
	size_t len;
	int rc;

	switch (type) {
	case MIGSTREAM_REC_X86_PV_INFO: {
		migstream_x86_pv_info info;
		if ((rc = migstream_record_get_x86_pv_info(rec, &info, sizeof info)) != 0)
			return rc;
		return migstream_writer_put_x86_pv_info(w, &info, sizeof info);
	}
	case MIGSTREAM_REC_X86_PV_P2M_FRAMES:
		if ((rc = migstream_record_get_p2m_range(rec, &u, &v)) != 0 ||
		    (rc = migstream_record_count(rec, &n)) != 0 ||
		    (rc = scratch_reserve(&c->s, n ? n : 1)) != 0)
			return rc;
		for (uint32_t i = 0; i < n; i++)
			if ((rc = migstream_record_get_p2m_frame(rec, i, &c->s.a[i])) != 0)
				return rc;
		return migstream_writer_put_p2m_frames(w, u, v, c->s.a, n);
	case MIGSTREAM_REC_X86_PV_VCPU_BASIC:
	case MIGSTREAM_REC_X86_PV_VCPU_EXTENDED:
	case MIGSTREAM_REC_X86_PV_VCPU_XSAVE:
	case MIGSTREAM_REC_X86_PV_VCPU_MSRS:
		/* The context is hypervisor ABI (little-endian x86): as it is. */
		if ((rc = migstream_record_get_vcpu(rec, &u, NULL, &blob, &len)) != 0)
			return rc;
		return migstream_writer_put_vcpu(w, type, u, blob, len);
	case MIGSTREAM_REC_SHARED_INFO:
		if ((rc = migstream_record_get_blob(rec, &blob, &len)) != 0)
			return rc;
		return migstream_writer_put_shared_info(w, blob, len);
	case MIGSTREAM_REC_X86_TSC_INFO: {
		migstream_tsc_info tsc;
		if ((rc = migstream_record_get_tsc_info(rec, &tsc, sizeof tsc)) != 0)
			return rc;
		return migstream_writer_put_tsc_info(w, &tsc, sizeof tsc);
	}
	case MIGSTREAM_REC_HVM_CONTEXT:
		if ((rc = migstream_record_get_blob(rec, &blob, &len)) != 0)
			return rc;
		return migstream_writer_put_hvm_context(w, blob, len);
	case MIGSTREAM_REC_HVM_PARAMS:
		if ((rc = migstream_record_count(rec, &n)) != 0 ||
		    (rc = scratch_reserve(&c->s, n ? n : 1)) != 0)
			return rc;
		for (uint32_t i = 0; i < n; i++)
			if ((rc = migstream_record_get_hvm_param(rec, i, &c->s.a[i], &c->s.b[i])) != 0)
				return rc;
		return migstream_writer_put_hvm_params(w, n, c->s.a, c->s.b);
	case MIGSTREAM_REC_TOOLSTACK:
		if ((rc = migstream_record_get_blob(rec, &blob, &len)) != 0)
			return rc;
		return migstream_writer_put_toolstack(w, blob, len);
	case MIGSTREAM_REC_VERIFY:
		return migstream_writer_put_verify(w);
	case MIGSTREAM_REC_CHECKPOINT:
		return migstream_writer_put_checkpoint(w);
	case MIGSTREAM_REC_STATIC_DATA_END:
		return migstream_writer_put_static_data_end(w);
	case MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST:
		if ((rc = migstream_record_count(rec, &n)) != 0 ||
		    (rc = scratch_reserve(&c->s, n ? n : 1)) != 0)
			return rc;
		for (uint32_t i = 0; i < n; i++)
			if ((rc = migstream_record_get_dirty_pfn(rec, i, &c->s.a[i])) != 0)
				return rc;
		return migstream_writer_put_dirty_pfn_list(w, c->s.a, n);
	case MIGSTREAM_REC_X86_CPUID_POLICY: {
		migstream_cpuid_leaf *l;
		if ((rc = migstream_record_count(rec, &n)) != 0)
			return rc;
		if (!(l = leaves_reserve(&c->s, (size_t)n * sizeof *l)))
			return MIGSTREAM_E_NOMEM;
		for (uint32_t i = 0; i < n; i++)
			if ((rc = migstream_record_get_cpuid_leaf(rec, i, &l[i], sizeof *l)) != 0)
				return rc;
		return migstream_writer_put_cpuid_policy(w, l, n, sizeof *l);
	}
	case MIGSTREAM_REC_X86_MSR_POLICY: {
		migstream_msr_entry *e;
		if ((rc = migstream_record_count(rec, &n)) != 0)
			return rc;
		if (!(e = leaves_reserve(&c->s, (size_t)n * sizeof *e)))
			return MIGSTREAM_E_NOMEM;
		for (uint32_t i = 0; i < n; i++)
			if ((rc = migstream_record_get_msr_entry(rec, i, &e[i], sizeof *e)) != 0)
				return rc;
		return migstream_writer_put_msr_policy(w, e, n, sizeof *e);
	}
	default:
		/* Optional records are opaque: the body as it is. */
		if ((rc = migstream_record_get_blob(rec, &blob, &len)) != 0)
			return rc;
		return migstream_writer_put_record(w, type, blob, (uint32_t)len);
	}
}

static int put_libxl_typed(struct copier *c, const migstream_record *rec)
{
	migstream_writer *w = c->w;
	uint32_t type = migstream_record_type(rec), id, idx;
	const void *blob;
	size_t len;
	int rc;

	switch (type) {
	case MIGSTREAM_LIBXL_REC_EMULATOR_XENSTORE_DATA:
		if ((rc = migstream_record_get_emulator(rec, &id, &idx)) != 0)
			return rc;
		/* The key/value octets follow the 8-octet emulator sub-header. */
		blob = migstream_record_body(rec, &len);
		if (!blob || len < 8)
			return MIGSTREAM_E_BODY_LENGTH;
		return migstream_writer_put_emulator_xenstore_data(w, id, idx,
		                                                   (const char *)blob + 8, len - 8);
	case MIGSTREAM_LIBXL_REC_EMULATOR_CONTEXT:
		if ((rc = migstream_record_get_emulator(rec, &id, &idx)) != 0 ||
		    (rc = migstream_record_get_emulator_context(rec, &blob, &len)) != 0)
			return rc;
		return migstream_writer_put_emulator_context(w, id, idx, blob, len);
	case MIGSTREAM_LIBXL_REC_CHECKPOINT_END:
		return migstream_writer_put_checkpoint_end(w);
	case MIGSTREAM_LIBXL_REC_CHECKPOINT_STATE:
		if ((rc = migstream_record_get_checkpoint_state(rec, &id)) != 0)
			return rc;
		return migstream_writer_put_checkpoint_state(w, id);
	default:
		if ((rc = migstream_record_get_blob(rec, &blob, &len)) != 0)
			return rc;
		return migstream_writer_put_record(w, type, blob, (uint32_t)len);
	}
}

static int put_libxc_headers(struct copier *c)
{
	migstream_image_header ih;
	migstream_domain_header dh;
	int rc;

	if ((rc = migstream_reader_get_image_header(c->r, &ih, sizeof ih)) != 0 ||
	    (rc = migstream_reader_get_domain_header(c->r, &dh, sizeof dh)) != 0)
		return rc;
	c->convert_xc = c->target >= 0 && (ih.options & 1u) != (unsigned)c->target;
	if (c->convert_xc)
		ih.options ^= 1u;
	if ((rc = migstream_writer_put_image_header(c->w, &ih, sizeof ih)) != 0)
		return rc;
	return migstream_writer_put_domain_header(c->w, &dh, sizeof dh);
}

/* The xl and libxl headers the reader found, converted as asked. */
static int put_outer_headers(struct copier *c)
{
	migstream_xl_header xh;
	migstream_libxl_header lh;
	const void *opt = NULL;
	size_t opt_len = 0;
	int rc;

	if (migstream_reader_get_xl_header(c->r, &xh, sizeof xh) == 0) {
		unsigned char *buf = NULL;
		if (migstream_reader_get_xl_optional_data(c->r, &opt, &opt_len) != 0)
			opt_len = 0;
		int be = xh.byteorder == MIGSTREAM_XL_BYTEORDER_BE;
		if (c->target >= 0 && be != c->target) {
			xh.byteorder = c->target ? MIGSTREAM_XL_BYTEORDER_BE : MIGSTREAM_XL_BYTEORDER_LE;
			/* The optional data starts with config_len, a u32 in the
			 * file's order; the config after it is text. */
			if (opt_len >= 4) {
				buf = malloc(opt_len);
				if (!buf)
					return MIGSTREAM_E_NOMEM;
				memcpy(buf, opt, opt_len);
				unsigned char t = buf[0];
				buf[0] = buf[3];
				buf[3] = t;
				t = buf[1];
				buf[1] = buf[2];
				buf[2] = t;
				opt = buf;
			}
		}
		rc = migstream_writer_put_xl_header(c->w, &xh, sizeof xh, opt, opt_len);
		free(buf);
		if (rc != 0)
			return rc;
	}
	if (migstream_reader_get_libxl_header(c->r, &lh, sizeof lh) == 0) {
		if (c->target >= 0)
			lh.options = (lh.options & ~MIGSTREAM_LIBXL_OPT_BIG_ENDIAN) |
			             (c->target ? MIGSTREAM_LIBXL_OPT_BIG_ENDIAN : 0);
		return migstream_writer_put_libxl_header(c->w, &lh, sizeof lh);
	}
	return 0;
}

/* The options and the two paths.  0 to go on, -1 after --help, else the
 * exit status of a usage error. */
static int copy_options(int argc, char **argv, struct read_opts *o, struct copier *c,
                        int *sync, const char *paths[2])
{
	int np = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--lax") == 0) {
			fprintf(stderr, "%s copy: %s is not supported by copy\n", progname, a);
			return EXIT_USAGE;
		}
		int k = read_opts_parse(o, argc, argv, &i);
		if (k < 0)
			return EXIT_USAGE;
		if (k > 0)
			continue;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			copy_usage(stdout);
			return -1;
		} else if (strcmp(a, "--big-endian") == 0) {
			c->target = 1;
		} else if (strcmp(a, "--little-endian") == 0) {
			c->target = 0;
		} else if (strcmp(a, "--batch") == 0 || strncmp(a, "--batch=", 8) == 0) {
			const char *v = a[7] == '=' ? a + 8 : (i + 1 < argc ? argv[++i] : NULL);
			char *end;
			unsigned long b = v ? strtoul(v, &end, 10) : 0;
			if (!v || *end || b < 1 || b > 1024) {
				fprintf(stderr, "%s copy: --batch takes a number from 1 to 1024\n", progname);
				return EXIT_USAGE;
			}
			c->batch = (uint32_t)b;
		} else if (strcmp(a, "--checkpoint") == 0 || strncmp(a, "--checkpoint=", 13) == 0) {
			const char *v = a[12] == '=' ? a + 13 : (i + 1 < argc ? argv[++i] : "");
			char *end;
			unsigned long long n = *v && *v != '-' ? strtoull(v, &end, 10) : 0;
			if (!n || *end) {
				fprintf(stderr, "%s copy: --checkpoint N: a round number from 1\n", progname);
				return EXIT_USAGE;
			}
			c->upto = n;
		} else if (strcmp(a, "--canonical") == 0) {
			c->canonical = 1;
		} else if (strcmp(a, "--drop-optional") == 0) {
			c->drop_optional = 1;
		} else if (strcmp(a, "--no-sync") == 0) {
			*sync = 0;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "%s copy: unknown option '%s'\n", progname, a);
			copy_usage(stderr);
			return EXIT_USAGE;
		} else if (np < 2) {
			paths[np++] = a;
		} else {
			copy_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (np != 2) {
		copy_usage(stderr);
		return EXIT_USAGE;
	}
	if (c->upto && !o->channel) {
		fprintf(stderr, "%s copy: --checkpoint needs --channel\n", progname);
		return EXIT_USAGE;
	}
	if (c->canonical) {
		if (c->target == 1) {
			fprintf(stderr, "%s copy: --canonical writes little-endian streams\n", progname);
			return EXIT_USAGE;
		}
		c->target = 0;
		if (c->batch == 0)
			c->batch = 1024;
	}
	return 0;
}

/* The headers the reader read, to the writer on fd. */
static int copy_headers(struct copier *c, int fd)
{
	uint32_t fmt = 0;
	int wrc = migstream_writer_open_fd(c->w, fd);

	if (wrc == 0)
		wrc = put_outer_headers(c);
	if (wrc == 0 && migstream_reader_format(c->r, &fmt) == 0 && fmt == MIGSTREAM_FORMAT_LIBXC &&
	    migstream_reader_get_image_header(c->r, &(migstream_image_header){ 0 },
	                                      sizeof(migstream_image_header)) == 0)
		wrc = put_libxc_headers(c);
	return wrc;
}

/* --canonical: hold an HVM_CONTEXT back until HVM_PARAMS is written. */
static int hold_context(struct copier *c, const migstream_record *rec)
{
	const void *blob;
	size_t len;
	int wrc;

	if ((wrc = flush_held(c)) != 0 || (wrc = migstream_record_get_blob(rec, &blob, &len)) != 0)
		return wrc;
	void *copy = realloc(c->held_ctx, len ? len : 1);
	if (!copy)
		return MIGSTREAM_E_NOMEM;
	memcpy(copy, blob, len);
	c->held_ctx = copy;
	c->held_len = len;
	c->holding = 1;
	return 0;
}

/* One record to the writer, as the options say. */
static int copy_record(struct copier *c, const migstream_record *rec)
{
	uint32_t layer = migstream_record_layer(rec), type = migstream_record_type(rec);
	int wrc;

	if (layer == MIGSTREAM_LAYER_LIBXC && c->need_xc_headers) {
		c->need_xc_headers = 0;
		if ((wrc = put_libxc_headers(c)) != 0)
			return wrc;
	}
	if (c->drop_optional && (type & MIGSTREAM_REC_OPTIONAL))
		return 0;
	if (c->canonical && empty_data_record(rec))
		return 0;
	if (c->canonical && layer == MIGSTREAM_LAYER_LIBXC && type == MIGSTREAM_REC_HVM_CONTEXT)
		return hold_context(c, rec);   /* parameters go first (format.md 17) */
	if (c->holding && layer == MIGSTREAM_LAYER_LIBXC && type != MIGSTREAM_REC_HVM_PARAMS &&
	    (wrc = flush_held(c)) != 0)
		return wrc;
	if (type == MIGSTREAM_REC_END)   /* END of either layer: 0 */
		return migstream_writer_put_end(c->w);
	if (layer == MIGSTREAM_LAYER_LIBXL && type == MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT) {
		c->need_xc_headers = 1;
		return migstream_writer_put_libxc_context(c->w);
	}
	if (layer == MIGSTREAM_LAYER_LIBXC && type == MIGSTREAM_REC_PAGE_DATA)
		return put_page_data(c, rec);
	if (c->target >= 0) {
		wrc = layer == MIGSTREAM_LAYER_LIBXC ? put_libxc_typed(c, rec) : put_libxl_typed(c, rec);
		if (wrc == 0 && c->holding && type == MIGSTREAM_REC_HVM_PARAMS)
			wrc = flush_held(c);
		return wrc;
	}
	size_t len;
	const void *body = migstream_record_body(rec, &len);
	return migstream_writer_put_record(c->w, type, body, (uint32_t)len);
}

/* A write (or accessor) failure: the message names its cause.  A failed
 * accessor leaves it with the reader, not the writer. */
static int copy_failed(struct copier *c, struct session *s, const char *out_path, int wrc)
{
	const char *why = migstream_writer_errmsg(c->w);

	progress_done(&s->pr, migstream_reader_offset(s->r), s->records);
	if (why && *why)
		fprintf(stderr, "%s copy: writing %s: %s\n", progname, out_path, why);
	else if (*(why = migstream_reader_errmsg(s->r)))
		fprintf(stderr, "%s copy: reading %s: %s\n", progname, s->in.name, why);
	else
		fprintf(stderr, "%s copy: writing %s: %s\n", progname, out_path,
		        migstream_error_name(wrc));
	/* Releases the sink; the write error above is the one to report. */
	int crc = migstream_writer_close(c->w);
	(void)crc;
	return wrc == MIGSTREAM_E_NOMEM ? EXIT_USAGE : EXIT_INVALID;
}

/* The page spool goes beside a regular OUT (its directory), else to
 * $TMPDIR (NULL). */
static const char *spool_dir(const struct output *out, char *buf, size_t size)
{
	const char *slash;

	if (!out->regular || !out->tmp)
		return NULL;
	slash = strrchr(out->tmp, '/');
	if (!slash)
		return ".";
	if ((size_t)(slash - out->tmp) + 1 > size)
		return NULL;
	memcpy(buf, out->tmp, (size_t)(slash - out->tmp));
	buf[slash - out->tmp] = '\0';
	return slash == out->tmp ? "/" : buf;
}

/* A checkpointed capture read as a channel: OUT becomes a plain save of
 * the last complete checkpoint (or --checkpoint N).  The exit status. */
static int copy_checkpoint(struct copier *c, struct session *s, struct flat *flat,
                           struct output *out, const struct read_opts *o, int frc)
{
	migstream_writer *w = NULL;
	uint64_t pages = 0;
	int status, rc;

	/* The plain copy of round 1 that went out is replaced. */
	rc = migstream_writer_close(c->w);
	(void)rc;
	status = session_finish(s);
	if (status != EXIT_VALID)
		return status;
	if (frc != 0)
		return frc == MIGSTREAM_E_NOMEM ? EXIT_USAGE : EXIT_INVALID;
	if (c->target >= 0 || c->batch || c->canonical || c->drop_optional) {
		fprintf(stderr, "%s copy: %s is checkpointed: --channel writes the state of one "
		        "checkpoint as it is, without --big-endian, --little-endian, --batch, "
		        "--canonical or --drop-optional\n", progname, s->in.name);
		return EXIT_USAGE;
	}
	if (c->upto && flat_committed(flat) < c->upto) {
		fprintf(stderr, "%s copy: %s: --checkpoint %" PRIu64 ": the stream has %" PRIu64
		        " complete checkpoint%s\n", progname, s->in.name, c->upto,
		        flat_committed(flat), flat_committed(flat) == 1 ? "" : "s");
		return EXIT_INVALID;
	}
	if (lseek(out->fd, 0, SEEK_SET) != 0 || (out->regular && ftruncate(out->fd, 0) != 0)) {
		fprintf(stderr, "%s copy: %s is checkpointed: its save is written at the end, so "
		        "OUT must be a regular file or a seekable device (%s)\n", progname,
		        s->in.name, strerror(errno));
		return EXIT_USAGE;
	}
	rc = flat_write(flat, s->r, out->fd, o->deep, &pages, &w);
	if (rc != 0) {
		const char *why = w ? migstream_writer_errmsg(w) : "";
		fprintf(stderr, "%s copy: writing %s (checkpoint %" PRIu64 "): %s\n", progname,
		        out->path, flat_committed(flat), why && *why ? why : migstream_error_name(rc));
		status = rc == MIGSTREAM_E_NOMEM ? EXIT_USAGE : EXIT_INVALID;
	}
	migstream_writer_free(w);
	return status;
}

int cmd_copy(int argc, char **argv)
{
	struct read_opts o;
	struct copier c;
	struct session s;
	struct output out;
	const migstream_record *rec;
	const char *paths[2] = { NULL, NULL };
	int wrc = 0, frc = 0, status, sync = 1;
	struct flat *flat = NULL;
	char dir[4096];

	memset(&c, 0, sizeof c);
	c.target = -1;
	read_opts_init(&o, MIGSTREAM_MODE_RESTORE);
	if ((status = copy_options(argc, argv, &o, &c, &sync, paths)) != 0)
		return status < 0 ? 0 : status;
	/* OUT is checked against IN and opened before anything is read: a
	 * regular file only as a temporary file beside it. */
	if ((status = output_open(&out, paths[1], paths[0], sync)) != 0)
		return status;
	session_init(&s);
	s.stop_at_error = 1;
	if (session_open(&s, paths[0], &o) != 0) {
		output_abort(&out);
		return EXIT_USAGE;
	}
	c.r = s.r;
	c.w = migstream_writer_new();
	if (!c.w || migstream_writer_set_option(c.w, MIGSTREAM_OPT_STREAM_KIND, (uint64_t)o.kind) != 0) {
		fprintf(stderr, "%s: cannot set up the writer\n", progname);
		status = EXIT_USAGE;
		goto out;
	}
	/* A channel not declared plain may turn out checkpointed. */
	if (o.channel && o.kind != MIGSTREAM_KIND_PLAIN && !(flat = flat_new(spool_dir(&out, dir, sizeof dir), c.upto))) {
		fprintf(stderr, "%s copy: cannot make the page spool: %s\n", progname, strerror(errno));
		status = EXIT_USAGE;
		goto out;
	}
	if (s.rc == 0)
		wrc = copy_headers(&c, out.fd);
	while (wrc == 0 && frc == 0 && session_next(&s, &rec)) {
		if (flat && (frc = flat_record(flat, s.r, rec)) != 0)
			break;
		/* A checkpointed capture: the save is written at the end. */
		if (!flat || !flat_checkpointed(flat))
			wrc = copy_record(&c, rec);
	}
	if (flat && frc == 0)
		frc = flat_record(flat, s.r, NULL);
	if (flat && flat_checkpointed(flat)) {
		status = copy_checkpoint(&c, &s, flat, &out, &o, frc);
	} else if (wrc != 0) {
		status = copy_failed(&c, &s, paths[1], wrc);
	} else if (frc != 0) {
		progress_done(&s.pr, migstream_reader_offset(s.r), s.records);
		int crc = migstream_writer_close(c.w);
		(void)crc;
		status = frc == MIGSTREAM_E_NOMEM ? EXIT_USAGE : EXIT_INVALID;
	} else {
		status = session_finish(&s);
		int crc = migstream_writer_close(c.w);
		if (status == EXIT_VALID && crc != 0) {
			fprintf(stderr, "%s copy: %s: %s\n", progname, paths[1],
			        migstream_writer_errmsg(c.w));
			status = EXIT_INVALID;
		}
		if (status == EXIT_VALID && c.upto > 1) {
			/* A plain stream is one round. */
			fprintf(stderr, "%s copy: %s: --checkpoint %" PRIu64 ": the stream is not "
			        "checkpointed (one round)\n", progname, s.in.name, c.upto);
			status = EXIT_INVALID;
		}
	}
out:
	/* Only a complete, valid copy replaces OUT; otherwise only the
	 * temporary file goes and OUT is left exactly as it was. */
	if (status == EXIT_VALID)
		status = output_commit(&out);
	else
		output_abort(&out);
	migstream_writer_free(c.w);
	flat_free(flat);
	session_close(&s);
	free(c.s.a);
	free(c.s.b);
	free(c.s.t);
	free(c.s.p);
	free(c.s.leaves);
	free(c.held_ctx);
	return status;
}
