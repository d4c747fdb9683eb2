/*
 * writer.c: the writer.  Encodes headers and records in the stream's byte
 * order, runs the reader's rule code on them (strict) before a single octet
 * goes out, and hands the result to the sink as one iovec list per record,
 * page contents straight from the caller's buffers.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "alloc.h"
#include "wire.h"
#include "framing.h"
#include "writer.h"

#define WCHECK(w) do { if (!(w) || (w)->magic != MS_WRITER_MAGIC) return MIGSTREAM_E_INVAL; } while (0)

/* A misuse of the API: recorded as the error ("function: detail"), so
 * errmsg() says what was wrong, but not a finding about the stream. */
#define USAGE(w, code, ...) ms_usage(&(w)->ctx, (code), __func__, __VA_ARGS__)

migstream_writer *migstream_writer_new(void)
{
	migstream_writer *w = ms_malloc(sizeof *w);
	if (!w)
		return NULL;
	memset(w, 0, sizeof *w);
	w->magic = MS_WRITER_MAGIC;
	w->state = MS_WS_NEW;
	ms_opt_defaults(w->opt, MS_OPT_WRITER);
	ms_sink_init(&w->sink);
	ms_ctx_init(&w->ctx, MIGSTREAM_MODE_STRICT);
	ms_libxc_init(&w->xc);
	ms_libxl_init(&w->lx);
	w->flow.layer = MIGSTREAM_LAYER_LIBXC;
	return w;
}

int migstream_writer_set_option(migstream_writer *w, int key, uint64_t value)
{
	WCHECK(w);
	if (w->state != MS_WS_NEW)
		return USAGE(w, MIGSTREAM_E_STATE, "options are frozen once the writer is opened");
	int rc = ms_opt_check(&w->ctx, __func__, MS_OPT_WRITER, key, value);
	if (rc)
		return rc;
	w->opt[key] = value;
	return 0;
}

int migstream_writer_get_option(const migstream_writer *w, int key, uint64_t *value)
{
	WCHECK(w);
	if (!ms_opt_known(key, MS_OPT_WRITER) || !value)
		return MIGSTREAM_E_INVAL;
	*value = w->opt[key];
	return 0;
}

int migstream_writer_set_diag_handler(migstream_writer *w, migstream_diag_fn fn, void *ctx)
{
	WCHECK(w);
	w->ctx.fn = fn;
	w->ctx.fn_ctx = ctx;
	return 0;
}

static void wstart(migstream_writer *w)
{
	w->raw = (int)w->opt[MIGSTREAM_OPT_RAW];
	/* MIGSTREAM_OPT_ATOMIC's temporary file is always synced. */
	ms_sink_set_wait_sync(&w->sink, (int)w->opt[MIGSTREAM_OPT_WAIT],
	                      w->opt[MIGSTREAM_OPT_SYNC] || w->tmp_path);
	ms_opt_apply_libxc(w->opt, &w->xc);
	w->lx.kind = w->xc.kind;
	w->lx.xc = &w->xc;
	w->state = MS_WS_OPEN;
	if (w->xc.kind == MIGSTREAM_KIND_COLO_BACK) {
		/* The back channel has no header (F 12.3). */
		w->flow.nested = 1;
		w->flow.layer = MIGSTREAM_LAYER_LIBXL;
		w->lx.phase = MS_LX_BACK;
		w->state = MS_WS_RECORDS;
	}
}

int migstream_writer_open_fd(migstream_writer *w, int fd)
{
	WCHECK(w);
	if (w->state != MS_WS_NEW)
		return USAGE(w, MIGSTREAM_E_STATE, "the writer is already open (or closed): use a new one");
	if (fd < 0)
		return USAGE(w, MIGSTREAM_E_INVAL, "fd %d is negative", fd);
	ms_sink_open_fd(&w->sink, fd, (int)w->opt[MIGSTREAM_OPT_CLOSE_FD]);
	wstart(w);
	return 0;
}

static int open_fail(migstream_writer *w, int e, const char *what, const char *path)
{
	ms_ctx_reset_error(&w->ctx);
	ms_fail(&w->ctx, MIGSTREAM_E_IO, e, 0, "cannot %s %s: %s%s", what, path, strerror(e),
	        e == EEXIST ? " (set MIGSTREAM_OPT_TRUNCATE to replace it)" : "");
	return MIGSTREAM_E_IO;
}

static void atomic_forget(migstream_writer *w)
{
	free(w->final_path);      /* from realpath() or strdup() */
	ms_free(w->tmp_path);
	w->final_path = NULL;
	w->tmp_path = NULL;
}

/* MIGSTREAM_OPT_ATOMIC: a new file beside the target, O_EXCL under a
 * name nobody else uses; the fd, or -1 with errno set. */
static int atomic_create(migstream_writer *w, const char *path)
{
	struct stat st;
	int have = stat(path, &st) == 0;
	char *final = have ? realpath(path, NULL) : strdup(path);
	if (!final)
		return -1;
	const char *slash = strrchr(final, '/');
	size_t dirlen = slash ? (size_t)(slash - final) + 1 : 0;
	size_t n = strlen(final) + 32;
	char *tmp = ms_malloc(n);
	if (!tmp) {
		free(final);
		errno = ENOMEM;
		return -1;
	}
	mode_t mode = have ? (st.st_mode & 07777) : (mode_t)w->opt[MIGSTREAM_OPT_FILE_MODE];
	unsigned long seed = (unsigned long)getpid() ^ (unsigned long)time(NULL) ^ (unsigned long)(uintptr_t)tmp;
	int fd = -1;
	for (int tries = 0; tries < 100 && fd < 0; tries++) {
		seed = seed * 6364136223846793005u + 1442695040888963407u;
		snprintf(tmp, n, "%.*s.%s.%06lx.tmp", (int)dirlen, final, final + dirlen,
		         (seed >> 20) & 0xffffff);
		do
			fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
		while (fd < 0 && errno == EINTR);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		int e = errno;
		ms_free(tmp);
		free(final);
		errno = e;
		return -1;
	}
	if (have) {
		/* The replacement keeps the permission bits (exactly, without
		 * the umask) and, where allowed, the owner of the file it
		 * replaces. */
		if (fchmod(fd, mode) != 0) {
			/* Not fatal: the file is still ours. */
		}
		if ((st.st_uid != geteuid() || st.st_gid != getegid()) &&
		    fchown(fd, st.st_uid, st.st_gid) != 0) {
			/* Not fatal either (an unprivileged caller cannot). */
		}
	}
	w->tmp_path = tmp;
	w->final_path = final;
	return fd;
}

int migstream_writer_open_path(migstream_writer *w, const char *path)
{
	WCHECK(w);
	if (w->state != MS_WS_NEW)
		return USAGE(w, MIGSTREAM_E_STATE, "the writer is already open (or closed): use a new one");
	if (!path)
		return USAGE(w, MIGSTREAM_E_INVAL, "path is NULL");
	int truncate = (int)w->opt[MIGSTREAM_OPT_TRUNCATE];
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : O_EXCL);
	int fd;
	if (w->opt[MIGSTREAM_OPT_ATOMIC]) {
		struct stat st;
		if (stat(path, &st) == 0) {
			if (!truncate)
				return open_fail(w, EEXIST, "create", path);
			if (!S_ISREG(st.st_mode)) {
				/* A device, FIFO or socket: written in place, never
				 * truncated nor removed. */
				do
					fd = open(path, O_WRONLY | O_CLOEXEC);
				while (fd < 0 && errno == EINTR);
				if (fd < 0)
					return open_fail(w, errno, "open", path);
				goto opened;
			}
		}
		if ((fd = atomic_create(w, path)) < 0)
			return open_fail(w, errno, "create a temporary file for", path);
		w->replace = truncate;
		goto opened;
	}
	do
		fd = open(path, flags, (mode_t)w->opt[MIGSTREAM_OPT_FILE_MODE]);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return open_fail(w, errno, "create", path);
opened:
	ms_sink_open_fd(&w->sink, fd, 1);
	wstart(w);
	return 0;
}

/* MIGSTREAM_OPT_ATOMIC, a complete stream closed: the temporary file takes
 * the target's place; 0 or an errno. */
static int atomic_commit(migstream_writer *w)
{
	int e = 0;
	if (w->replace) {
		if (rename(w->tmp_path, w->final_path) != 0)
			e = errno;
	} else if (link(w->tmp_path, w->final_path) != 0) {
		e = errno;            /* EEXIST: someone created it meanwhile */
	} else {
		unlink(w->tmp_path);
	}
	if (e) {
		unlink(w->tmp_path);
		return e;
	}
	/* The new directory entry is durable too. */
	char *slash = strrchr(w->final_path, '/');
	const char *dir = ".";
	if (slash) {
		*slash = '\0';
		dir = slash == w->final_path ? "/" : w->final_path;
	}
	int dfd = open(dir, O_RDONLY | O_CLOEXEC);
	if (slash)
		*slash = '/';
	if (dfd >= 0) {
		if (fsync(dfd) != 0 && errno != EINVAL && errno != EROFS)
			e = errno;
		close(dfd);
	}
	return e;
}

int migstream_writer_open_memory(migstream_writer *w)
{
	WCHECK(w);
	if (w->state != MS_WS_NEW)
		return USAGE(w, MIGSTREAM_E_STATE, "the writer is already open (or closed): use a new one");
	ms_sink_open_memory(&w->sink);
	wstart(w);
	return 0;
}

int migstream_writer_open_io(migstream_writer *w, const migstream_write_io *io, size_t io_size,
                             void *ctx)
{
	WCHECK(w);
	if (w->state != MS_WS_NEW)
		return USAGE(w, MIGSTREAM_E_STATE, "the writer is already open (or closed): use a new one");
	if (!io || io_size < sizeof(io->writev) || !io->writev)
		return USAGE(w, MIGSTREAM_E_INVAL, "io is NULL, io_size %zu too small or no writev callback",
		             io_size);
	ms_sink_open_io(&w->sink, io, io_size, ctx);
	wstart(w);
	return 0;
}

int migstream_writer_get_memory(migstream_writer *w, const void **data, size_t *len)
{
	WCHECK(w);
	if (!data || !len)
		return USAGE(w, MIGSTREAM_E_INVAL, "data or len is NULL");
	if (ms_sink_memory(&w->sink, data, len) != 0)
		return USAGE(w, MIGSTREAM_E_STATE, "the writer was not opened with migstream_writer_open_memory()");
	return 0;
}

uint64_t migstream_writer_offset(const migstream_writer *w)
{
	if (!w || w->magic != MS_WRITER_MAGIC)
		return 0;
	return ms_sink_pos(&w->sink);
}

int migstream_writer_close(migstream_writer *w)
{
	WCHECK(w);
	if (w->state == MS_WS_NEW || w->state == MS_WS_CLOSED)
		return USAGE(w, MIGSTREAM_E_STATE, "the writer is %s", w->state == MS_WS_NEW ? "not open" : "already closed");
	if (ms_sink_pending(&w->sink) && w->state != MS_WS_FAILED) {
		int rc = migstream_writer_flush(w);
		if (rc == MIGSTREAM_E_AGAIN)
			return rc;                /* still open: close again when the fd is writable */
	}
	int prior = w->state;
	int e = ms_sink_close(&w->sink);
	w->state = MS_WS_CLOSED;
	ms_ctx_reset_error(&w->ctx);
	w->ctx.rec_index = MIGSTREAM_NO_RECORD;
	w->ctx.what = "libxc stream";
	/* A COLO back channel has no END: it is complete between cycles. */
	if (prior == MS_WS_RECORDS && w->lx.phase == MS_LX_BACK && w->lx.bc_pos == 0)
		prior = MS_WS_ENDED;
	if (w->tmp_path && prior != MS_WS_FAILED && !e && prior == MS_WS_ENDED) {
		int ce = atomic_commit(w);
		atomic_forget(w);
		if (ce) {
			ms_fail(&w->ctx, MIGSTREAM_E_IO, ce, ms_sink_pos(&w->sink),
			        "the complete stream could not be put in place: %s", strerror(ce));
			return MIGSTREAM_E_IO;
		}
	} else if (w->tmp_path) {
		/* Incomplete: only the temporary file goes; the path keeps
		 * whatever it had. */
		unlink(w->tmp_path);
		atomic_forget(w);
	}
	if (prior == MS_WS_FAILED) {
		ms_fail(&w->ctx, w->fail_code, 0, ms_sink_pos(&w->sink), "the sink failed earlier; the stream is incomplete");
		return w->fail_code;
	}
	if (e) {
		ms_fail(&w->ctx, MIGSTREAM_E_IO, -e, ms_sink_pos(&w->sink), "closing the sink failed: %s", strerror(-e));
		return MIGSTREAM_E_IO;
	}
	if (prior != MS_WS_ENDED) {
		ms_fail(&w->ctx, MIGSTREAM_E_STATE, 0, ms_sink_pos(&w->sink),
		        "closed without END: the %llu octets written read back as a truncated stream",
		        (unsigned long long)ms_sink_pos(&w->sink));
		return MIGSTREAM_E_STATE;
	}
	return 0;
}

int migstream_writer_flush(migstream_writer *w)
{
	WCHECK(w);
	if (w->state == MS_WS_NEW || w->state == MS_WS_CLOSED)
		return USAGE(w, MIGSTREAM_E_STATE, "the writer is %s", w->state == MS_WS_NEW ? "not open" : "closed");
	if (w->state == MS_WS_FAILED)
		return w->fail_code;
	int e = 0;
	int rc = ms_sink_flush(&w->sink, &e);
	if (rc == 0 || rc == MIGSTREAM_E_AGAIN)
		return rc;
	ms_sink_fail(&w->sink, &w->ctx, rc, e, 0);
	w->state = MS_WS_FAILED;
	w->fail_code = rc;
	return rc;
}

uint64_t migstream_writer_pending(const migstream_writer *w)
{
	if (!w || w->magic != MS_WRITER_MAGIC)
		return 0;
	return ms_sink_pending(&w->sink);
}

int migstream_writer_get_poll(const migstream_writer *w, int *fd, short *events)
{
	if (!w || w->magic != MS_WRITER_MAGIC || !fd || !events)
		return MIGSTREAM_E_INVAL;
	*fd = w->state == MS_WS_CLOSED ? -1 : ms_sink_fd(&w->sink);
	*events = *fd >= 0 && ms_sink_pending(&w->sink) ? POLLOUT : 0;
	return 0;
}

void migstream_writer_free(migstream_writer *w)
{
	if (!w || w->magic != MS_WRITER_MAGIC)
		return;
	if (w->state != MS_WS_NEW && w->state != MS_WS_CLOSED)
		ms_sink_close(&w->sink);
	if (w->tmp_path)
		unlink(w->tmp_path);  /* never closed: the stream is not complete */
	atomic_forget(w);
	ms_sink_free(&w->sink);
	ms_free(w->scratch);
	ms_libxc_free(&w->xc);
	w->magic = 0;
	ms_free(w);
}

const char *migstream_writer_errmsg(const migstream_writer *w)
{
	if (!w || w->magic != MS_WRITER_MAGIC)
		return "invalid writer handle";
	return w->ctx.err_msg;
}

int migstream_writer_error(const migstream_writer *w, migstream_diag *out, size_t size)
{
	WCHECK(w);
	/* The handle is const: the last error stays what it was, and is the
	 * one thing this call may not overwrite. */
	if (!out)
		return MIGSTREAM_E_INVAL;
	migstream_diag d = w->ctx.err;
	d.message = w->ctx.err_text;
	if (!d.rule)
		d.rule = "";
	memcpy(out, &d, size < sizeof d ? size : sizeof d);
	return 0;
}

/* ------------------------------------------------------------------ output */

static int emit(migstream_writer *w, const struct iovec *iov, int cnt)
{
	uint64_t written;
	int e = 0;
	int rc = ms_sink_writev(&w->sink, iov, cnt, &written, &e);
	if (rc == MIGSTREAM_E_AGAIN) {
		w->again = 1;                     /* accepted: the rest waits in the sink */
		return 0;
	}
	if (rc) {
		ms_sink_fail(&w->sink, &w->ctx, rc, e, written);
		w->state = MS_WS_FAILED;
		w->fail_code = rc;
	}
	return rc;
}

/* What a call that wrote its octets returns: 0, or MIGSTREAM_E_AGAIN when
 * some of them wait in the sink for migstream_writer_flush(). */
static int accepted(migstream_writer *w)
{
	return w->again ? MIGSTREAM_E_AGAIN : 0;
}

/* Common entry checks; resets the error. */
static int enter(migstream_writer *w, const char *fn)
{
	WCHECK(w);
	w->again = 0;
	if (ms_sink_pending(&w->sink) && w->state != MS_WS_FAILED && w->state != MS_WS_CLOSED)
		return ms_usage(&w->ctx, MIGSTREAM_E_STATE, fn,
		                "%llu octets of the last record are still pending: call migstream_writer_flush() "
		                "until it returns 0 first", (unsigned long long)ms_sink_pending(&w->sink));
	switch (w->state) {
	case MS_WS_NEW:
		return ms_usage(&w->ctx, MIGSTREAM_E_STATE, fn, "the writer is not open");
	case MS_WS_CLOSED:
		return ms_usage(&w->ctx, MIGSTREAM_E_STATE, fn, "the writer is closed");
	case MS_WS_FAILED:
		/* errmsg still names the failure, unless a misuse since
		 * overwrote it. */
		if (w->ctx.err_code != w->fail_code)
			ms_usage(&w->ctx, w->fail_code, fn, "the sink failed earlier (%s: %s); only close and free remain",
			         migstream_error_name(w->fail_code), migstream_strerror(w->fail_code));
		return w->fail_code;
	default:
		break;
	}
	ms_ctx_reset_error(&w->ctx);
	return 0;
}

static uint8_t *scratch(migstream_writer *w, size_t n)
{
	if (n > w->scratch_cap) {
		size_t ncap = w->scratch_cap ? w->scratch_cap : 4096;
		while (ncap < n)
			ncap *= 2;
		uint8_t *ns = ms_realloc(w->scratch, ncap);
		if (!ns)
			return NULL;
		w->scratch = ns;
		w->scratch_cap = ncap;
	}
	return w->scratch;
}

static int nomem(migstream_writer *w)
{
	return ms_fail(&w->ctx, MIGSTREAM_E_NOMEM, 0, ms_sink_pos(&w->sink), "out of memory");
}

/* ------------------------------------------------------------------ headers */

int migstream_writer_put_image_header(migstream_writer *w, const migstream_image_header *ih, size_t size)
{
	int rc = enter(w, __func__);
	if (rc)
		return rc;
	if (!ih)
		return USAGE(w, MIGSTREAM_E_INVAL, "ih is NULL");
	if (w->state != MS_WS_OPEN &&
	    !(w->state == MS_WS_RECORDS && w->flow.need_libxc_headers && w->flow.layer == MIGSTREAM_LAYER_LIBXC))
		return USAGE(w, MIGSTREAM_E_STATE,
		             "an image header goes first, or after the xl/libxl headers and LIBXC_CONTEXT");
	migstream_image_header h;
	memset(&h, 0, sizeof h);
	memcpy(&h, ih, size < sizeof h ? size : sizeof h);
	if (h.marker == 0 && h.id == 0) {
		h.marker = UINT64_MAX;
		h.id = 0x58454E46u;
	}
	uint8_t b[MS_IHDR_SIZE];
	ms_put64(b, h.marker, 1);
	ms_put32(b + 8, h.id, 1);
	ms_put32(b + 12, h.version, 1);
	ms_put16(b + 16, h.options, 1);
	ms_put16(b + 18, h.reserved1, 1);
	ms_put32(b + 20, h.reserved2, 1);
	w->ctx.layer = MIGSTREAM_LAYER_LIBXC;
	w->ctx.rec_index = MIGSTREAM_NO_RECORD;
	w->ctx.what = "libxc image header";
	if (!w->raw) {
		rc = ms_libxc_image_header(&w->xc, &w->ctx, b, ms_sink_pos(&w->sink));
		if (rc)
			return rc;
	} else {
		w->xc.version = h.version;
		w->xc.be = h.options & 1u;
	}
	w->be = h.options & 1u;
	struct iovec iov = { b, sizeof b };
	if ((rc = emit(w, &iov, 1)))
		return rc;
	w->state = MS_WS_IMAGE;
	return accepted(w);
}

int migstream_writer_put_domain_header(migstream_writer *w, const migstream_domain_header *dh, size_t size)
{
	int rc = enter(w, __func__);
	if (rc)
		return rc;
	if (!dh)
		return USAGE(w, MIGSTREAM_E_INVAL, "dh is NULL");
	if (w->state != MS_WS_IMAGE)
		return USAGE(w, MIGSTREAM_E_STATE, "the domain header goes right after the image header");
	migstream_domain_header h;
	memset(&h, 0, sizeof h);
	memcpy(&h, dh, size < sizeof h ? size : sizeof h);
	uint8_t b[MS_DHDR_SIZE];
	ms_put32(b, h.type, w->be);
	ms_put16(b + 4, h.page_shift, w->be);
	ms_put16(b + 6, h.reserved, w->be);
	ms_put32(b + 8, h.xen_major, w->be);
	ms_put32(b + 12, h.xen_minor, w->be);
	w->ctx.layer = MIGSTREAM_LAYER_LIBXC;
	w->ctx.rec_index = MIGSTREAM_NO_RECORD;
	w->ctx.what = "libxc domain header";
	if (!w->raw) {
		/* A big-endian image is the caller's explicit choice: IHDR-6 is
		 * reported as a warning, not refused. */
		w->ctx.allow_be = 1;
		rc = ms_libxc_domain_header(&w->xc, &w->ctx, b, ms_sink_pos(&w->sink));
		w->ctx.allow_be = 0;
		if (rc)
			return rc;
	} else {
		w->xc.dtype = h.type;
		w->xc.xen_major = h.xen_major;
		w->xc.xen_minor = h.xen_minor;
	}
	struct iovec iov = { b, sizeof b };
	if ((rc = emit(w, &iov, 1)))
		return rc;
	w->state = MS_WS_RECORDS;
	w->flow.need_libxc_headers = 0;
	w->flow.layer = MIGSTREAM_LAYER_LIBXC;
	if (w->flow.nested && !w->raw)
		ms_libxl_after_libxc_headers(&w->lx, &w->ctx, ms_sink_pos(&w->sink) - MS_DHDR_SIZE + 8);
	return accepted(w);
}

/* ------------------------------------------------------------------ records */

static const uint8_t zeros[8];

/*
 * The checks put() makes before it looks at a body: state, layer and the
 * body length `len` against the record cap.  The typed calls run them
 * before they read the caller's arrays or allocate, so a count too large
 * for any record is refused (E_TOO_LONG) without touching memory the count
 * claims.  want is the layer of the typed call (0: the layer that has the
 * stream).  Sets the error location as put() does.
 */
static int put_check(migstream_writer *w, uint32_t want, uint32_t type, uint64_t len)
{
	uint32_t layer = w->flow.layer;
	int is_xc = layer == MIGSTREAM_LAYER_LIBXC;

	w->ctx.layer = layer;
	w->ctx.rec_type = type;
	w->ctx.rec_offset = ms_sink_pos(&w->sink);
	w->ctx.rec_index = is_xc ? w->rec_index : w->lx_index;
	w->ctx.what = NULL;
	if (w->state != MS_WS_RECORDS && w->state != MS_WS_ENDED) {
		w->ctx.rec_index = MIGSTREAM_NO_RECORD;
		w->ctx.what = "stream";
		return ms_fail(&w->ctx, MIGSTREAM_E_STATE, 0, ms_sink_pos(&w->sink), "%s record before the %s header",
		               migstream_record_type_name(want ? want : layer, type),
		               w->state == MS_WS_XL ? "libxl" : w->state == MS_WS_IMAGE ? "libxc domain"
		                                                                      : "stream");
	}
	if (w->flow.need_libxc_headers && w->state != MS_WS_ENDED)
		return ms_fail(&w->ctx, MIGSTREAM_E_STATE, 0, ms_sink_pos(&w->sink),
		               "the libxc image header must follow LIBXC_CONTEXT");
	if (want && want != layer && w->state != MS_WS_ENDED) {
		w->ctx.layer = want;              /* name the record in its own layer */
		w->ctx.rec_index = MIGSTREAM_NO_RECORD;
		w->ctx.what = is_xc ? "libxc layer" : "libxl layer";
		if (w->lx.phase == MS_LX_BACK && !w->raw)
			return ms_report(&w->ctx, R_CKPT_10, ms_sink_pos(&w->sink),
			                 "%s where the back channel cycle expects %s",
			                 migstream_record_type_name(want, type),
			                 is_xc ? "CHECKPOINT_DIRTY_PFN_LIST" : "CHECKPOINT_STATE");
		return ms_fail(&w->ctx, MIGSTREAM_E_STATE, 0, ms_sink_pos(&w->sink),
		               "%s is a %s record but the %s layer has the stream",
		               migstream_record_type_name(want, type), want == MIGSTREAM_LAYER_LIBXC ? "libxc" : "libxl",
		               is_xc ? "libxc" : "libxl");
	}
	if (w->raw && len <= UINT32_MAX)
		return 0;                         /* raw mode: any length that fits the header */
	return ms_frame_length(&w->ctx, layer, len, w->opt[MIGSTREAM_OPT_MAX_RECORD_LEN], ms_sink_pos(&w->sink));
}

/*
 * Validate and write one record.  hb is the scratch buffer holding the
 * 8-octet record header slot followed by `head` octets of body; `extra`
 * (n iovecs, `extra_len` octets) follows them on the wire (page contents).
 * For validation the body must be contiguous, except PAGE_DATA whose pages
 * are checked one by one.
 */
static int put(migstream_writer *w, uint32_t type, uint8_t *hb, size_t head,
               const struct iovec *extra, int n, uint64_t extra_len)
{
	uint64_t len = head + extra_len;
	uint32_t layer = w->flow.layer;
	uint32_t want = w->want_layer;

	int is_xc = layer == MIGSTREAM_LAYER_LIBXC;
	int be = is_xc ? w->be : w->lx.be;
	int rc;

	w->want_layer = 0;
	if ((rc = put_check(w, want, type, len)))
		return rc;
	if (!w->raw) {
		if (w->state == MS_WS_ENDED)
			return ms_frame_after_end(&w->ctx, ms_sink_pos(&w->sink), -1, layer, type);
		if (!is_xc) {
			rc = ms_libxl_record(&w->lx, &w->ctx, type, (uint32_t)len, hb + MS_RHDR_SIZE);
			if (rc)
				return rc;
		} else {
			if ((rc = ms_frame_back_channel_libxc(&w->lx, &w->ctx, type)))
				return rc;
			/* Page contents first: a refusal there must leave the rule
			 * state as it was, and the record checks update it. */
			if (type == MIGSTREAM_REC_PAGE_DATA && ms_libxc_wants_pages(&w->xc) && head >= 8 &&
			    head >= 8 + 8 * (uint64_t)ms_get32(hb + MS_RHDR_SIZE, be)) {
				/* Pages lie in the iovecs in order, several per iovec
				 * when they are adjacent in memory. */
				uint32_t count = ms_get32(hb + MS_RHDR_SIZE, be), seg = 0;
				size_t off = 0;
				for (uint32_t i = 0; i < count && seg < (uint32_t)n; i++) {
					struct ms_pfn en = ms_pfn_entry(hb + MS_RHDR_SIZE + 8, i, be);
					if (!ms_type_has_data(en.type))
						continue;
					rc = ms_libxc_page(&w->xc, &w->ctx, en.pfn, en.type,
					                   (const uint8_t *)extra[seg].iov_base + off);
					if (rc)
						return rc;
					off += MIGSTREAM_PAGE_SIZE;
					if (off >= extra[seg].iov_len) {
						seg++;
						off = 0;
					}
				}
			}
			rc = ms_libxc_record(&w->xc, &w->ctx, type, (uint32_t)len, hb + MS_RHDR_SIZE, head);
			if (rc)
				return rc;
		}
	}
	ms_put32(hb, type, be);
	ms_put32(hb + 4, (uint32_t)len, be);
	/* Header+head, the extra iovecs, padding: in one sink call. */
	struct iovec stack[66];
	struct iovec *iov = stack;
	int cnt = n + 2;
	if (cnt > (int)(sizeof stack / sizeof *stack)) {
		iov = ms_malloc((size_t)cnt * sizeof *iov);
		if (!iov)
			return nomem(w);
	}
	iov[0].iov_base = hb;
	iov[0].iov_len = MS_RHDR_SIZE + head;
	for (int i = 0; i < n; i++)
		iov[1 + i] = extra[i];
	iov[1 + n].iov_base = (void *)zeros;
	iov[1 + n].iov_len = ms_pad8((uint32_t)len);
	rc = emit(w, iov, cnt);
	if (iov != stack)
		ms_free(iov);
	if (rc)
		return rc;
	if (is_xc)
		w->rec_index++;
	else
		w->lx_index++;
	if (w->state == MS_WS_ENDED)
		return accepted(w);               /* raw mode past the end */
	ms_flow_after(&w->flow, &w->lx, &w->xc, layer, type);
	if (w->flow.restart_libxc) {
		/* A second image (raw mode): its rules start afresh. */
		w->flow.restart_libxc = 0;
		ms_libxc_restart(&w->xc, w->opt[MIGSTREAM_OPT_MAX_PFN_MAP]);
		w->rec_index = 0;
	}
	if (w->flow.done)
		w->state = MS_WS_ENDED;
	return accepted(w);
}

/* A record whose whole body is `len` octets at body. */
static int put_flat(migstream_writer *w, const char *fn, uint32_t layer, uint32_t type,
                    const void *body, size_t len)
{
	int rc = enter(w, fn);
	if (rc)
		return rc;
	if (!body && len)
		return ms_usage(&w->ctx, MIGSTREAM_E_INVAL, fn, "body is NULL with length %zu", len);
	if ((rc = put_check(w, layer, type, len)))
		return rc;
	uint8_t *hb = scratch(w, MS_RHDR_SIZE + len);
	if (!hb)
		return nomem(w);
	if (len)
		memcpy(hb + MS_RHDR_SIZE, body, len);
	w->want_layer = layer;
	return put(w, type, hb, len, NULL, 0, 0);
}

int migstream_writer_put_record(migstream_writer *w, uint32_t type, const void *body, uint32_t len)
{
	return put_flat(w, __func__, 0, type, body, len);
}

int migstream_writer_put_record_iov(migstream_writer *w, uint32_t type, const struct iovec *iov,
                                    int iovcnt)
{
	int rc = enter(w, __func__);
	if (rc)
		return rc;
	if (iovcnt < 0 || (!iov && iovcnt))
		return USAGE(w, MIGSTREAM_E_INVAL, "iovcnt %d with iov %s", iovcnt, iov ? "set" : "NULL");
	/* Sum without overflow: stop counting once past any record length. */
	uint64_t len = 0;
	for (int i = 0; i < iovcnt; i++) {
		if (!iov[i].iov_base && iov[i].iov_len)
			return USAGE(w, MIGSTREAM_E_INVAL, "iov[%d] has no base but length %zu", i,
			             (size_t)iov[i].iov_len);
		if (iov[i].iov_len > (uint64_t)UINT32_MAX + 1 - len) {
			len = (uint64_t)UINT32_MAX + 1;
			break;
		}
		len += iov[i].iov_len;
	}
	if ((rc = put_check(w, 0, type, len)))
		return rc;
	/* Bodies are validated as a whole: gather them. */
	uint8_t *hb = scratch(w, MS_RHDR_SIZE + (size_t)len);
	if (!hb)
		return nomem(w);
	size_t off = MS_RHDR_SIZE;
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len)
			memcpy(hb + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	return put(w, type, hb, (size_t)len, NULL, 0, 0);
}

int migstream_writer_put_raw(migstream_writer *w, const void *data, size_t len)
{
	int rc = enter(w, __func__);
	if (rc)
		return rc;
	if (!w->raw)
		return USAGE(w, MIGSTREAM_E_STATE, "raw octets need MIGSTREAM_OPT_RAW");
	if (!data && len)
		return USAGE(w, MIGSTREAM_E_INVAL, "data is NULL with length %zu", len);
	struct iovec iov = { (void *)data, len };
	int rc2 = emit(w, &iov, 1);
	return rc2 ? rc2 : accepted(w);
}

int migstream_writer_put_page_data(migstream_writer *w, uint32_t count, const uint64_t *pfns,
                                   const uint32_t *types, const void *const *pages)
{
	int rc = enter(w, __func__);
	if (rc)
		return rc;
	if (count && (!pfns || !types))
		return USAGE(w, MIGSTREAM_E_INVAL, "count %u with pfns or types NULL", count);
	/* The pfn array alone must fit a record before pfns[] and types[] are
	 * read for count entries. */
	size_t head = 8 + 8 * (size_t)count;
	if ((rc = put_check(w, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_PAGE_DATA, head)))
		return rc;
	uint32_t n = 0;
	for (uint32_t i = 0; i < count; i++) {
		if (types[i] > 0xF || (!w->raw && (pfns[i] >> MS_PFN_TYPE_SHIFT)))
			return ms_fail(&w->ctx, MIGSTREAM_E_INVAL, 0, ms_sink_pos(&w->sink),
			               "pfn[%u] 0x%llx / type 0x%x do not fit a pfn entry", i,
			               (unsigned long long)pfns[i], types[i]);
		n += ms_type_has_data(types[i]) != 0;
	}
	if ((rc = put_check(w, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_PAGE_DATA,
	                    head + (uint64_t)n * MIGSTREAM_PAGE_SIZE)))
		return rc;
	if (n && !pages)
		return USAGE(w, MIGSTREAM_E_INVAL, "%u data pages but pages is NULL", n);
	for (uint32_t k = 0; k < n; k++)
		if (!pages[k])
			return USAGE(w, MIGSTREAM_E_INVAL, "pages[%u] is NULL", k);
	uint8_t *hb = scratch(w, MS_RHDR_SIZE + head);
	if (!hb)
		return nomem(w);
	uint8_t *b = hb + MS_RHDR_SIZE;
	ms_put32(b, count, w->be);
	ms_put32(b + 4, 0, w->be);
	for (uint32_t i = 0; i < count; i++)
		ms_put64(b + 8 + 8 * (size_t)i, ms_pfn_encode(pfns[i], types[i]), w->be);
	struct iovec *iov = NULL;
	uint32_t segs = 0;
	if (n) {
		iov = ms_malloc((size_t)n * sizeof *iov);
		if (!iov)
			return nomem(w);
		/* One iovec per run of pages adjacent in memory (guest mappings
		 * often are): fewer segments for the kernel to walk. */
		for (uint32_t k = 0; k < n; k++) {
			if (segs && (const uint8_t *)iov[segs - 1].iov_base + iov[segs - 1].iov_len ==
			            (const uint8_t *)pages[k]) {
				iov[segs - 1].iov_len += MIGSTREAM_PAGE_SIZE;
				continue;
			}
			iov[segs].iov_base = (void *)pages[k];
			iov[segs].iov_len = MIGSTREAM_PAGE_SIZE;
			segs++;
		}
	}
	w->want_layer = MIGSTREAM_LAYER_LIBXC;
	rc = put(w, MIGSTREAM_REC_PAGE_DATA, hb, head, iov, (int)segs, (uint64_t)n * MIGSTREAM_PAGE_SIZE);
	ms_free(iov);
	return rc;
}

int migstream_writer_put_x86_pv_info(migstream_writer *w, const migstream_x86_pv_info *info, size_t size)
{
	if (!info) {
		int rc;
		if ((rc = enter(w, __func__)))
			return rc;
		return USAGE(w, MIGSTREAM_E_INVAL, "info is NULL");
	}
	migstream_x86_pv_info v;
	memset(&v, 0, sizeof v);
	memcpy(&v, info, size < sizeof v ? size : sizeof v);
	uint8_t b[8] = { v.guest_width, v.pt_levels };
	memcpy(b + 2, v.reserved, 6);
	return put_flat(w, __func__, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_X86_PV_INFO, b, sizeof b);
}

int migstream_writer_put_p2m_frames(migstream_writer *w, uint32_t start_pfn, uint32_t end_pfn,
                                    const uint64_t *frames, uint32_t k)
{
	int rc = enter(w, __func__);
	if (rc)
		return rc;
	if (k && !frames)
		return USAGE(w, MIGSTREAM_E_INVAL, "k %u with frames NULL", k);
	size_t len = 8 + 8 * (size_t)k;
	if ((rc = put_check(w, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_X86_PV_P2M_FRAMES, len)))
		return rc;
	uint8_t *hb = scratch(w, MS_RHDR_SIZE + len);
	if (!hb)
		return nomem(w);
	ms_put32(hb + 8, start_pfn, w->be);
	ms_put32(hb + 12, end_pfn, w->be);
	for (uint32_t i = 0; i < k; i++)
		ms_put64(hb + 16 + 8 * (size_t)i, frames[i], w->be);
	w->want_layer = MIGSTREAM_LAYER_LIBXC;
	return put(w, MIGSTREAM_REC_X86_PV_P2M_FRAMES, hb, len, NULL, 0, 0);
}

int migstream_writer_put_vcpu(migstream_writer *w, uint32_t type, uint32_t vcpu_id, const void *ctx,
                              size_t ctx_len)
{
	int rc = enter(w, __func__);
	if (rc)
		return rc;
	if (type != MIGSTREAM_REC_X86_PV_VCPU_BASIC && type != MIGSTREAM_REC_X86_PV_VCPU_EXTENDED &&
	    type != MIGSTREAM_REC_X86_PV_VCPU_XSAVE && type != MIGSTREAM_REC_X86_PV_VCPU_MSRS)
		return USAGE(w, MIGSTREAM_E_INVAL, "type 0x%x is no X86_PV_VCPU_* record", type);
	if (!ctx && ctx_len)
		return USAGE(w, MIGSTREAM_E_INVAL, "ctx is NULL with length %zu", ctx_len);
	if ((rc = put_check(w, MIGSTREAM_LAYER_LIBXC, type,
	                    ctx_len > UINT32_MAX ? (uint64_t)UINT32_MAX + 1 : 8 + (uint64_t)ctx_len)))
		return rc;
	uint8_t *hb = scratch(w, MS_RHDR_SIZE + 8 + ctx_len);
	if (!hb)
		return nomem(w);
	ms_put32(hb + 8, vcpu_id, w->be);
	ms_put32(hb + 12, 0, w->be);
	if (ctx_len)
		memcpy(hb + 16, ctx, ctx_len);
	w->want_layer = MIGSTREAM_LAYER_LIBXC;
	return put(w, type, hb, 8 + ctx_len, NULL, 0, 0);
}

int migstream_writer_put_shared_info(migstream_writer *w, const void *page, size_t len)
{
	return put_flat(w, __func__, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_SHARED_INFO, page, len);
}

int migstream_writer_put_tsc_info(migstream_writer *w, const migstream_tsc_info *tsc, size_t size)
{
	int rc = enter(w, __func__);
	if (rc)
		return rc;
	if (!tsc)
		return USAGE(w, MIGSTREAM_E_INVAL, "tsc is NULL");
	migstream_tsc_info v;
	memset(&v, 0, sizeof v);
	memcpy(&v, tsc, size < sizeof v ? size : sizeof v);
	uint8_t *hb = scratch(w, MS_RHDR_SIZE + 24);
	if (!hb)
		return nomem(w);
	ms_put32(hb + 8, v.mode, w->be);
	ms_put32(hb + 12, v.khz, w->be);
	ms_put64(hb + 16, v.nsec, w->be);
	ms_put32(hb + 24, v.incarnation, w->be);
	ms_put32(hb + 28, v.reserved, w->be);
	w->want_layer = MIGSTREAM_LAYER_LIBXC;
	return put(w, MIGSTREAM_REC_X86_TSC_INFO, hb, 24, NULL, 0, 0);
}

int migstream_writer_put_hvm_context(migstream_writer *w, const void *blob, size_t len)
{
	return put_flat(w, __func__, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_HVM_CONTEXT, blob, len);
}

int migstream_writer_put_hvm_params(migstream_writer *w, uint32_t count, const uint64_t *index,
                                    const uint64_t *value)
{
	int rc = enter(w, __func__);
	if (rc)
		return rc;
	if (count && (!index || !value))
		return USAGE(w, MIGSTREAM_E_INVAL, "count %u with index or value NULL", count);
	size_t len = 8 + 16 * (size_t)count;
	if ((rc = put_check(w, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_HVM_PARAMS, len)))
		return rc;
	uint8_t *hb = scratch(w, MS_RHDR_SIZE + len);
	if (!hb)
		return nomem(w);
	ms_put32(hb + 8, count, w->be);
	ms_put32(hb + 12, 0, w->be);
	for (uint32_t i = 0; i < count; i++) {
		ms_put64(hb + 16 + 16 * (size_t)i, index[i], w->be);
		ms_put64(hb + 24 + 16 * (size_t)i, value[i], w->be);
	}
	w->want_layer = MIGSTREAM_LAYER_LIBXC;
	return put(w, MIGSTREAM_REC_HVM_PARAMS, hb, len, NULL, 0, 0);
}

int migstream_writer_put_toolstack(migstream_writer *w, const void *blob, size_t len)
{
	return put_flat(w, __func__, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_TOOLSTACK, blob, len);
}

int migstream_writer_put_verify(migstream_writer *w)
{
	return put_flat(w, __func__, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_VERIFY, NULL, 0);
}

int migstream_writer_put_checkpoint(migstream_writer *w)
{
	return put_flat(w, __func__, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_CHECKPOINT, NULL, 0);
}

int migstream_writer_put_static_data_end(migstream_writer *w)
{
	return put_flat(w, __func__, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_STATIC_DATA_END, NULL, 0);
}

int migstream_writer_put_end(migstream_writer *w)
{
	return put_flat(w, __func__, 0, MIGSTREAM_REC_END, NULL, 0);
}

int migstream_writer_put_dirty_pfn_list(migstream_writer *w, const uint64_t *pfns, uint32_t n)
{
	int rc = enter(w, __func__);
	if (rc)
		return rc;
	if (n && !pfns)
		return USAGE(w, MIGSTREAM_E_INVAL, "n %u with pfns NULL", n);
	size_t len = 8 * (size_t)n;
	if ((rc = put_check(w, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST, len)))
		return rc;
	uint8_t *hb = scratch(w, MS_RHDR_SIZE + len);
	if (!hb)
		return nomem(w);
	for (uint32_t i = 0; i < n; i++)
		ms_put64(hb + 8 + 8 * (size_t)i, pfns[i], w->be);
	w->want_layer = MIGSTREAM_LAYER_LIBXC;
	return put(w, MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST, hb, len, NULL, 0, 0);
}

int migstream_writer_put_cpuid_policy(migstream_writer *w, const migstream_cpuid_leaf *leaves,
                                      uint32_t n, size_t entry_size)
{
	int rc = enter(w, __func__);
	if (rc)
		return rc;
	if ((n && !leaves) || entry_size == 0)
		return USAGE(w, MIGSTREAM_E_INVAL, "n %u with leaves %s, entry_size %zu", n,
		             leaves ? "set" : "NULL", entry_size);
	size_t len = 24 * (size_t)n;
	if ((rc = put_check(w, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_X86_CPUID_POLICY, len)))
		return rc;
	if (n && entry_size > SIZE_MAX / n)
		return USAGE(w, MIGSTREAM_E_INVAL, "n %u entries of %zu octets overflow", n, entry_size);
	uint8_t *hb = scratch(w, MS_RHDR_SIZE + len);
	if (!hb)
		return nomem(w);
	for (uint32_t i = 0; i < n; i++) {
		migstream_cpuid_leaf v;
		memset(&v, 0, sizeof v);
		memcpy(&v, (const uint8_t *)leaves + entry_size * i, entry_size < sizeof v ? entry_size : sizeof v);
		uint8_t *e = hb + 8 + 24 * (size_t)i;
		ms_put32(e, v.leaf, w->be);
		ms_put32(e + 4, v.subleaf, w->be);
		ms_put32(e + 8, v.a, w->be);
		ms_put32(e + 12, v.b, w->be);
		ms_put32(e + 16, v.c, w->be);
		ms_put32(e + 20, v.d, w->be);
	}
	w->want_layer = MIGSTREAM_LAYER_LIBXC;
	return put(w, MIGSTREAM_REC_X86_CPUID_POLICY, hb, len, NULL, 0, 0);
}

int migstream_writer_put_msr_policy(migstream_writer *w, const migstream_msr_entry *entries,
                                    uint32_t n, size_t entry_size)
{
	int rc = enter(w, __func__);
	if (rc)
		return rc;
	if ((n && !entries) || entry_size == 0)
		return USAGE(w, MIGSTREAM_E_INVAL, "n %u with entries %s, entry_size %zu", n,
		             entries ? "set" : "NULL", entry_size);
	size_t len = 16 * (size_t)n;
	if ((rc = put_check(w, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_X86_MSR_POLICY, len)))
		return rc;
	if (n && entry_size > SIZE_MAX / n)
		return USAGE(w, MIGSTREAM_E_INVAL, "n %u entries of %zu octets overflow", n, entry_size);
	uint8_t *hb = scratch(w, MS_RHDR_SIZE + len);
	if (!hb)
		return nomem(w);
	for (uint32_t i = 0; i < n; i++) {
		migstream_msr_entry v;
		memset(&v, 0, sizeof v);
		memcpy(&v, (const uint8_t *)entries + entry_size * i, entry_size < sizeof v ? entry_size : sizeof v);
		uint8_t *e = hb + 8 + 16 * (size_t)i;
		ms_put32(e, v.idx, w->be);
		ms_put32(e + 4, v.flags, w->be);
		ms_put64(e + 8, v.val, w->be);
	}
	w->want_layer = MIGSTREAM_LAYER_LIBXC;
	return put(w, MIGSTREAM_REC_X86_MSR_POLICY, hb, len, NULL, 0, 0);
}

/* ------------------------------------------------------------------ xl and libxl */

int migstream_writer_put_xl_header(migstream_writer *w, const migstream_xl_header *xh, size_t size,
                                   const void *optional_data, size_t optional_len)
{
	int rc = enter(w, __func__);
	if (rc)
		return rc;
	if (!xh || (!optional_data && optional_len) || optional_len > UINT32_MAX)
		return USAGE(w, MIGSTREAM_E_INVAL, "xh %s, optional data %s with length %zu (at most 4 GiB - 1)",
		             xh ? "set" : "NULL", optional_data ? "set" : "NULL", optional_len);
	if (w->state != MS_WS_OPEN)
		return USAGE(w, MIGSTREAM_E_STATE, "the xl header goes first");
	migstream_xl_header h;
	memset(&h, 0, sizeof h);
	memcpy(&h, xh, size < sizeof h ? size : sizeof h);
	if (!w->raw) {
		static const uint8_t zero[32];
		if (!memcmp(h.magic, zero, sizeof zero))
			memcpy(h.magic, ms_xl_magic, MS_XL_MAGIC_SIZE);
		if (h.byteorder == 0)
			h.byteorder = MIGSTREAM_XL_BYTEORDER_LE;
		if (h.optional_data_len && h.optional_data_len != optional_len)
			return ms_fail(&w->ctx, MIGSTREAM_E_INVAL, 0, ms_sink_pos(&w->sink),
			               "optional_data_len %u but %zu octets of optional data given",
			               h.optional_data_len, optional_len);
		h.optional_data_len = (uint32_t)optional_len;
	}
	int be = h.byteorder == MIGSTREAM_XL_BYTEORDER_BE;
	uint8_t b[MS_XL_HDR_SIZE];
	memcpy(b, h.magic, 32);
	ms_put32(b + 32, h.byteorder, 0);
	ms_put32(b + 36, h.mandatory_flags, be);
	ms_put32(b + 40, h.optional_flags, be);
	ms_put32(b + 44, h.optional_data_len, be);
	w->ctx.layer = MIGSTREAM_LAYER_XL;
	w->ctx.rec_index = MIGSTREAM_NO_RECORD;
	w->ctx.what = "xl header";
	if (!w->raw) {
		int hbe;
		struct ms_xl_config cfg;
		size_t clen;
		rc = ms_xl_header(&w->ctx, b, ms_sink_pos(&w->sink), &hbe);
		if (rc)
			return rc;
		if ((rc = ms_xl_optional(&w->ctx, b, be, optional_data, (uint32_t)optional_len,
		                         ms_sink_pos(&w->sink) + MS_XL_HDR_SIZE, &cfg, &clen)))
			return rc;
		if ((rc = ms_frame_xl_streamv2(&w->ctx, h.mandatory_flags, ms_sink_pos(&w->sink) + 36, 0)))
			return rc;
		ms_frame_xl_knowledge(&w->lx, &w->xc, &cfg);
	}
	struct iovec iov[2] = { { b, sizeof b }, { (void *)optional_data, optional_len } };
	if ((rc = emit(w, iov, 2)))
		return rc;
	w->state = MS_WS_XL;
	return accepted(w);
}

int migstream_writer_put_libxl_header(migstream_writer *w, const migstream_libxl_header *lh, size_t size)
{
	int rc = enter(w, __func__);
	if (rc)
		return rc;
	if (!lh)
		return USAGE(w, MIGSTREAM_E_INVAL, "lh is NULL");
	if (w->state != MS_WS_OPEN && w->state != MS_WS_XL)
		return USAGE(w, MIGSTREAM_E_STATE, "the libxl header goes first or after the xl header");
	migstream_libxl_header h;
	memset(&h, 0, sizeof h);
	memcpy(&h, lh, size < sizeof h ? size : sizeof h);
	if (!w->raw && h.ident == 0)
		h.ident = MS_LIBXL_IDENT;
	uint8_t b[MS_LIBXL_HDR_SIZE];
	ms_put64(b, h.ident, 1);
	ms_put32(b + 8, h.version, 1);
	ms_put32(b + 12, h.options, 1);
	w->ctx.layer = MIGSTREAM_LAYER_LIBXL;
	w->ctx.rec_index = MIGSTREAM_NO_RECORD;
	w->ctx.what = "libxl header";
	if (!w->raw) {
		w->ctx.allow_be = 1;
		rc = ms_libxl_header(&w->lx, &w->ctx, b, ms_sink_pos(&w->sink));
		w->ctx.allow_be = 0;
		if (rc)
			return rc;
	} else {
		w->lx.be = h.options & MIGSTREAM_LIBXL_OPT_BIG_ENDIAN;
		w->lx.legacy = (h.options & MIGSTREAM_LIBXL_OPT_LEGACY) != 0;
	}
	struct iovec iov = { b, sizeof b };
	if ((rc = emit(w, &iov, 1)))
		return rc;
	w->state = MS_WS_RECORDS;
	w->flow.nested = 1;
	w->flow.layer = MIGSTREAM_LAYER_LIBXL;
	w->lx.phase = MS_LX_BEFORE;
	return accepted(w);
}

int migstream_writer_put_libxc_context(migstream_writer *w)
{
	return put_flat(w, __func__, MIGSTREAM_LAYER_LIBXL, MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT, NULL, 0);
}

static int put_emulator(migstream_writer *w, const char *fn, uint32_t type, uint32_t id, uint32_t index,
                        const void *data, size_t len)
{
	int rc = enter(w, fn);
	if (rc)
		return rc;
	if (!data && len)
		return ms_usage(&w->ctx, MIGSTREAM_E_INVAL, fn, "data is NULL with length %zu", len);
	if ((rc = put_check(w, MIGSTREAM_LAYER_LIBXL, type,
	                    len > UINT32_MAX ? (uint64_t)UINT32_MAX + 1 : 8 + (uint64_t)len)))
		return rc;
	uint8_t *hb = scratch(w, MS_RHDR_SIZE + 8 + len);
	if (!hb)
		return nomem(w);
	ms_put32(hb + 8, id, w->lx.be);
	ms_put32(hb + 12, index, w->lx.be);
	if (len)
		memcpy(hb + 16, data, len);
	w->want_layer = MIGSTREAM_LAYER_LIBXL;
	return put(w, type, hb, 8 + len, NULL, 0, 0);
}

int migstream_writer_put_emulator_xenstore_data(migstream_writer *w, uint32_t emulator_id, uint32_t index,
                                                const void *data, size_t len)
{
	return put_emulator(w, __func__, MIGSTREAM_LIBXL_REC_EMULATOR_XENSTORE_DATA, emulator_id, index, data, len);
}

int migstream_writer_put_emulator_context(migstream_writer *w, uint32_t emulator_id, uint32_t index,
                                          const void *blob, size_t len)
{
	return put_emulator(w, __func__, MIGSTREAM_LIBXL_REC_EMULATOR_CONTEXT, emulator_id, index, blob, len);
}

int migstream_writer_put_checkpoint_end(migstream_writer *w)
{
	return put_flat(w, __func__, MIGSTREAM_LAYER_LIBXL, MIGSTREAM_LIBXL_REC_CHECKPOINT_END, NULL, 0);
}

int migstream_writer_put_checkpoint_state(migstream_writer *w, uint32_t control_id)
{
	uint8_t b[4];
	ms_put32(b, control_id, w && w->magic == MS_WRITER_MAGIC ? w->lx.be : 0);
	return put_flat(w, __func__, MIGSTREAM_LAYER_LIBXL, MIGSTREAM_LIBXL_REC_CHECKPOINT_STATE, b, sizeof b);
}
