/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * copy --channel on a checkpointed capture: the state of one committed
 * checkpoint as a plain save file.
 *
 * As the capture is read, the open round's pages go to a page journal
 * (migstream_journal) and, when the round is committed, into a spool file
 * indexed by pfn (page pfn at pfn * 4096, its type in a second file at
 * offset pfn) and a pfn set: each pfn once, at its last committed value.
 * The records of each round are kept in memory (they are small: vCPU,
 * TSC, HVM and emulator state); a commit makes them the committed state.
 * The static records (X86_PV_INFO, CPU policies, STATIC_DATA_END) are
 * those of round 1.  flat_write() then writes the save: the headers the
 * capture had, LIBXC_CONTEXT, the image and domain headers, the static
 * records, the committed round's X86_PV_P2M_FRAMES, every committed page in
 * pfn order, the rest of the committed round's libxc records, END, its
 * libxl records, END; stream kind plain.
 */
#define _GNU_SOURCE 1   /* O_TMPFILE */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "flatten.h"

struct saved {
	uint32_t layer, type;
	size_t len;
	unsigned char *body;
};

struct list {
	struct saved *v;
	size_t n, cap;
};

struct flat {
	migstream_journal *j;
	int pages_fd, types_fd;   /* page pfn at pfn * 4096; type + 1 at pfn */
	struct pfnset pfns;
	struct list statics, round_xc, round_xl, xc, xl;
	uint64_t upto;            /* 0: the last complete checkpoint */
	int frozen;
	migstream_checkpoint_info ci;
	uint64_t committed_used; /* the round the committed state is from */
};

static int spool_fd(const char *dir)
{
	int fd;

	if (!dir || !*dir)
		dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
#endif
	size_t n = strlen(dir) + 32;
	char *name = malloc(n);
	if (!name)
		return -1;
	snprintf(name, n, "%s/migstream-spool.XXXXXX", dir);
	fd = mkstemp(name);
	if (fd >= 0)
		unlink(name);
	free(name);
	return fd;
}

struct flat *flat_new(const char *dir, uint64_t upto)
{
	struct flat *f = calloc(1, sizeof *f);

	if (!f)
		return NULL;
	f->pages_fd = f->types_fd = -1;
	f->upto = upto;
	pfnset_init(&f->pfns);
	f->j = migstream_journal_new(-1, dir);
	f->pages_fd = spool_fd(dir);
	f->types_fd = spool_fd(dir);
	if (!f->j || f->pages_fd < 0 || f->types_fd < 0) {
		int e = errno;
		flat_free(f);
		errno = e;
		return NULL;
	}
	return f;
}

static void list_clear(struct list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].body);
	l->n = 0;
}

static void list_free(struct list *l)
{
	list_clear(l);
	free(l->v);
	l->v = NULL;
	l->cap = 0;
}

void flat_free(struct flat *f)
{
	if (!f)
		return;
	migstream_journal_free(f->j);
	if (f->pages_fd >= 0)
		close(f->pages_fd);
	if (f->types_fd >= 0)
		close(f->types_fd);
	pfnset_free(&f->pfns);
	list_free(&f->statics);
	list_free(&f->round_xc);
	list_free(&f->round_xl);
	list_free(&f->xc);
	list_free(&f->xl);
	free(f);
}

static int list_add(struct list *l, const migstream_record *rec)
{
	size_t len;
	const void *body = migstream_record_body(rec, &len);

	if (l->n == l->cap) {
		size_t c = l->cap ? l->cap * 2 : 16;
		struct saved *v = realloc(l->v, c * sizeof *v);
		if (!v)
			return MIGSTREAM_E_NOMEM;
		l->v = v;
		l->cap = c;
	}
	struct saved *s = &l->v[l->n];
	s->layer = migstream_record_layer(rec);
	s->type = migstream_record_type(rec);
	s->len = len;
	s->body = malloc(len ? len : 1);
	if (!s->body)
		return MIGSTREAM_E_NOMEM;
	if (len)
		memcpy(s->body, body, len);
	l->n++;
	return 0;
}

static int list_has_type(const struct list *l, uint32_t layer, uint32_t type)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].layer == layer && l->v[i].type == type)
			return 1;
	return 0;
}

/* The round's records become the committed state.  A record type the
 * round did not send keeps its last committed records: Xen sends some
 * once per stream, in the first round (a PV guest's X86_PV_P2M_FRAMES),
 * and the rest every round.  The kept ones go first, as they came first. */
static int list_take(struct list *to, struct list *from)
{
	struct list t = { 0 };
	size_t keep = 0;
	for (size_t i = 0; i < to->n; i++)
		keep += !list_has_type(from, to->v[i].layer, to->v[i].type);
	t.cap = keep + from->n ? keep + from->n : 1;
	if (!(t.v = malloc(t.cap * sizeof *t.v)))
		return MIGSTREAM_E_NOMEM;
	for (size_t i = 0; i < to->n; i++) {
		if (!list_has_type(from, to->v[i].layer, to->v[i].type))
			t.v[t.n++] = to->v[i];
		else
			free(to->v[i].body);
	}
	if (from->n)
		memcpy(t.v + t.n, from->v, from->n * sizeof *t.v);
	t.n += from->n;
	free(to->v);
	*to = t;
	from->n = 0;                  /* the bodies are the committed state's now */
	return 0;
}

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const char *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	char *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* A committed page into the spool (journal callback). */
static int commit_page(void *ctx, uint64_t pfn, uint32_t type, const void *page)
{
	struct flat *f = ctx;
	unsigned char t = (unsigned char)(type + 1);

	if (pfn >= (uint64_t)INT64_MAX / MIGSTREAM_PAGE_SIZE) {
		fprintf(stderr, "%s copy: pfn 0x%" PRIx64 " is too large for the page spool\n",
		        progname, pfn);
		return MIGSTREAM_E_RANGE;
	}
	if (pwrite_all(f->pages_fd, page, MIGSTREAM_PAGE_SIZE, pfn * MIGSTREAM_PAGE_SIZE) != 0 ||
	    pwrite_all(f->types_fd, &t, 1, pfn) != 0) {
		fprintf(stderr, "%s copy: writing the page spool: %s\n", progname, strerror(errno));
		return MIGSTREAM_E_IO;
	}
	if (pfnset_add(&f->pfns, pfn) < 0) {
		fprintf(stderr, "%s copy: out of memory\n", progname);
		return MIGSTREAM_E_NOMEM;
	}
	return 0;
}

static int round1_pages(struct flat *f, const migstream_record *rec)
{
	uint32_t n = 0;
	int rc;

	if (migstream_record_count(rec, &n) != 0)
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t pfn;
		uint32_t type;
		const void *page;
		rc = migstream_record_get_page(rec, i, &pfn, &type, &page);
		if (rc && migstream_error_is_fatal(rc))
			return rc;
		if (rc || !page)
			continue;
		if ((rc = commit_page(f, pfn, type, page)) != 0)
			return rc;
	}
	return 0;
}

static int is_static(uint32_t type)
{
	return type == MIGSTREAM_REC_X86_PV_INFO || type == MIGSTREAM_REC_X86_CPUID_POLICY ||
	       type == MIGSTREAM_REC_X86_MSR_POLICY || type == MIGSTREAM_REC_STATIC_DATA_END;
}

int flat_record(struct flat *f, migstream_reader *r, const migstream_record *rec)
{
	int rc;

	if (f->frozen)
		return 0;
	migstream_reader_get_checkpoint(r, &f->ci, sizeof f->ci);
	if (f->ci.events & MIGSTREAM_CKPT_EV_BEGIN) {
		list_clear(&f->round_xc);
		list_clear(&f->round_xl);
	}
	if (rec) {
		uint32_t layer = migstream_record_layer(rec), type = migstream_record_type(rec);
		rc = 0;
		if (layer == MIGSTREAM_LAYER_LIBXC) {
			if (type == MIGSTREAM_REC_PAGE_DATA || type == MIGSTREAM_REC_END ||
			    type == MIGSTREAM_REC_CHECKPOINT || type == MIGSTREAM_REC_VERIFY ||
			    type == MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST)
				;
			else if (is_static(type))
				rc = f->ci.round == 1 ? list_add(&f->statics, rec) : 0;
			else
				rc = list_add(&f->round_xc, rec);
		} else if (layer == MIGSTREAM_LAYER_LIBXL) {
			if (type == MIGSTREAM_LIBXL_REC_EMULATOR_XENSTORE_DATA ||
			    type == MIGSTREAM_LIBXL_REC_EMULATOR_CONTEXT || (type & MIGSTREAM_REC_OPTIONAL))
				rc = list_add(&f->round_xl, rec);
		}
		if (rc) {
			fprintf(stderr, "%s copy: out of memory\n", progname);
			return rc;
		}
	}
	/* Round 1 goes straight to the spool: if it is not committed, the
	 * capture is invalid and no save is written. */
	if (rec && f->ci.round == 1 && f->ci.state != MIGSTREAM_CKPT_DISCARDED &&
	    migstream_record_layer(rec) == MIGSTREAM_LAYER_LIBXC &&
	    migstream_record_type(rec) == MIGSTREAM_REC_PAGE_DATA) {
		if ((rc = round1_pages(f, rec)) != 0)
			return rc;
		rec = NULL;
	}
	rc = migstream_journal_step(f->j, r, rec, commit_page, f);
	if (rc < 0) {
		if (rc == MIGSTREAM_E_IO)
			fprintf(stderr, "%s copy: the page journal: %s\n", progname, strerror(errno));
		return rc;
	}
	if (f->ci.events & MIGSTREAM_CKPT_EV_COMMIT) {
		if (list_take(&f->xc, &f->round_xc) || list_take(&f->xl, &f->round_xl)) {
			fprintf(stderr, "%s copy: out of memory\n", progname);
			return MIGSTREAM_E_NOMEM;
		}
		f->committed_used = f->ci.committed;
		if (f->upto && f->ci.committed >= f->upto)
			f->frozen = 1;
	}
	return 0;
}

int flat_checkpointed(const struct flat *f)
{
	return f->ci.checkpointed;
}

uint64_t flat_committed(const struct flat *f)
{
	return f->committed_used;
}

/* ------------------------------------------------------------ the save */

struct emit {
	struct flat *f;
	migstream_writer *w;
	uint64_t pfn[1024];
	uint32_t type[1024];
	const void *data[1024];
	unsigned char *buf;      /* 1024 pages */
	uint32_t n;
	uint64_t pages;
};

static int emit_flush(struct emit *e)
{
	int rc;

	if (!e->n)
		return 0;
	rc = migstream_writer_put_page_data(e->w, e->n, e->pfn, e->type, e->data);
	e->pages += e->n;
	e->n = 0;
	return rc;
}

static int emit_run(void *ctx, uint64_t first, uint64_t n)
{
	struct emit *e = ctx;

	for (uint64_t pfn = first; pfn < first + n; pfn++) {
		unsigned char t;
		unsigned char *page = e->buf + (size_t)e->n * MIGSTREAM_PAGE_SIZE;
		if (pread_all(e->f->types_fd, &t, 1, pfn) != 0 ||
		    pread_all(e->f->pages_fd, page, MIGSTREAM_PAGE_SIZE, pfn * MIGSTREAM_PAGE_SIZE) != 0) {
			fprintf(stderr, "%s copy: reading the page spool: %s\n", progname,
			        strerror(errno ? errno : EIO));
			return -1;
		}
		e->pfn[e->n] = pfn;
		e->type[e->n] = t ? (uint32_t)(t - 1) : MIGSTREAM_PAGE_NOTAB;
		e->data[e->n] = page;
		if (++e->n == 1024 && emit_flush(e) != 0)
			return -1;
	}
	return 0;
}

static int put_saved(migstream_writer *w, const struct saved *s)
{
	return migstream_writer_put_record(w, s->type, s->body, (uint32_t)s->len);
}

int flat_write(struct flat *f, migstream_reader *r, int fd, int deep, uint64_t *pages,
               migstream_writer **wp)
{
	migstream_xl_header xh;
	migstream_libxl_header lh;
	migstream_image_header ih;
	migstream_domain_header dh;
	const void *opt = NULL;
	size_t opt_len = 0;
	int libxl, rc;
	struct emit e;

	migstream_writer *w = migstream_writer_new();
	*wp = w;
	if (!w)
		return MIGSTREAM_E_NOMEM;
	if ((rc = migstream_writer_set_option(w, MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_PLAIN)) ||
	    (rc = migstream_writer_set_option(w, MIGSTREAM_OPT_DEEP, deep ? 1 : 0)) ||
	    (rc = migstream_writer_open_fd(w, fd)))
		return rc;
	if (migstream_reader_get_xl_header(r, &xh, sizeof xh) == 0) {
		if (migstream_reader_get_xl_optional_data(r, &opt, &opt_len) != 0)
			opt_len = 0;
		if ((rc = migstream_writer_put_xl_header(w, &xh, sizeof xh, opt, opt_len)) != 0)
			return rc;
	}
	libxl = migstream_reader_get_libxl_header(r, &lh, sizeof lh) == 0;
	if (libxl && ((rc = migstream_writer_put_libxl_header(w, &lh, sizeof lh)) != 0 ||
	              (rc = migstream_writer_put_libxc_context(w)) != 0))
		return rc;
	if ((rc = migstream_reader_get_image_header(r, &ih, sizeof ih)) != 0 ||
	    (rc = migstream_reader_get_domain_header(r, &dh, sizeof dh)) != 0 ||
	    (rc = migstream_writer_put_image_header(w, &ih, sizeof ih)) != 0 ||
	    (rc = migstream_writer_put_domain_header(w, &dh, sizeof dh)) != 0)
		return rc;
	for (size_t i = 0; i < f->statics.n; i++)
		if ((rc = put_saved(w, &f->statics.v[i])) != 0)
			return rc;
	/* The p2m frames go before the pages (PV-10). */
	for (size_t i = 0; i < f->xc.n; i++)
		if (f->xc.v[i].type == MIGSTREAM_REC_X86_PV_P2M_FRAMES &&
		    (rc = put_saved(w, &f->xc.v[i])) != 0)
			return rc;
	memset(&e, 0, sizeof e);
	e.f = f;
	e.w = w;
	if (!(e.buf = malloc((size_t)1024 * MIGSTREAM_PAGE_SIZE)))
		return MIGSTREAM_E_NOMEM;
	errno = 0;
	rc = pfnset_runs(&f->pfns, emit_run, &e);
	if (rc == 0)
		rc = emit_flush(&e);
	else
		rc = MIGSTREAM_E_IO;
	free(e.buf);
	*pages = e.pages;
	if (rc)
		return rc;
	for (size_t i = 0; i < f->xc.n; i++)
		if (f->xc.v[i].type != MIGSTREAM_REC_X86_PV_P2M_FRAMES &&
		    (rc = put_saved(w, &f->xc.v[i])) != 0)
			return rc;
	if ((rc = migstream_writer_put_end(w)) != 0)
		return rc;
	if (libxl) {
		for (size_t i = 0; i < f->xl.n; i++)
			if ((rc = put_saved(w, &f->xl.v[i])) != 0)
				return rc;
		if ((rc = migstream_writer_put_end(w)) != 0)
			return rc;
	}
	return migstream_writer_close(w);
}
