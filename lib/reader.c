/*
 * reader.c: the pull reader: lifecycle, format detection, headers, record
 * framing and the hand-off to the rule code; PAGE_DATA contents are
 * pages.c's, failures fail.c's.
 *
 * Framing is checked here (truncation, the record cap, nothing after END);
 * everything about record contents and order is in rules_libxc.c.  A record
 * whose framing holds but whose contents break a rule is reported and, in
 * lax mode, still delivered; its body is always skipped cleanly, so the
 * next call continues with the next record.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "wire.h"
#include "framing.h"
#include "flow.h"
#include "reader.h"
#include "fail.h"
#include "pages.h"


migstream_reader *migstream_reader_new(void)
{
	migstream_reader *r = ms_malloc(sizeof *r);
	if (!r)
		return NULL;
	memset(r, 0, sizeof *r);
	r->magic = MS_READER_MAGIC;
	r->state = MS_ST_NEW;
	ms_opt_defaults(r->opt, MS_OPT_READER);
	ms_src_init(&r->src);
	ms_ctx_init(&r->ctx, MIGSTREAM_MODE_RESTORE);
	ms_libxc_init(&r->xc);
	ms_libxl_init(&r->lx);
	ms_pages_init(&r->pages, r);
	return r;
}

#define CHECK(r) do { if (!(r) || (r)->magic != MS_READER_MAGIC) return MIGSTREAM_E_INVAL; } while (0)

/* A misuse: "function: cause" in errmsg, nothing to the diagnostic
 * callback, the stream state untouched. */
#define USAGE(r, code, ...) ms_usage(&(r)->ctx, (code), __func__, __VA_ARGS__)

/* Every call on a dead reader returns the code that killed it; errmsg
 * still names the cause, unless a misuse since overwrote it. */
static int dead(migstream_reader *r, const char *fn)
{
	if (r->ctx.err_code != r->fatal_code)
		ms_usage(&r->ctx, r->fatal_code, fn, "the reader failed earlier (%s: %s); only close and free remain",
		         migstream_error_name(r->fatal_code), migstream_strerror(r->fatal_code));
	return r->fatal_code;
}

static const char *state_name(int state)
{
	switch (state) {
	case MS_ST_NEW: return "not open";
	case MS_ST_CLOSED: return "closed";
	default: return "open";
	}
}

int migstream_reader_set_option(migstream_reader *r, int key, uint64_t value)
{
	CHECK(r);
	if (r->state != MS_ST_NEW)
		return USAGE(r, MIGSTREAM_E_STATE, "options are frozen once the reader is opened");
	int rc = ms_opt_check(&r->ctx, __func__, MS_OPT_READER, key, value);
	if (rc)
		return rc;
	r->opt[key] = value;
	return 0;
}

int migstream_reader_get_option(const migstream_reader *r, int key, uint64_t *value)
{
	CHECK(r);
	if (!ms_opt_known(key, MS_OPT_READER) || !value)
		return MIGSTREAM_E_INVAL;
	*value = r->opt[key];
	return 0;
}

int migstream_reader_set_diag_handler(migstream_reader *r, migstream_diag_fn fn, void *ctx)
{
	CHECK(r);
	r->ctx.fn = fn;
	r->ctx.fn_ctx = ctx;
	return 0;
}

/* Freeze options into the source, context and rule state. */
static void start(migstream_reader *r)
{
	r->ctx.mode = (int)r->opt[MIGSTREAM_OPT_MODE];
	ms_src_set_record_cap(&r->src, r->opt[MIGSTREAM_OPT_MAX_RECORD_LEN]);
	ms_opt_apply_libxc(r->opt, &r->xc);
	r->state = MS_ST_OPEN;
}

int migstream_reader_open_fd(migstream_reader *r, int fd)
{
	CHECK(r);
	if (r->state != MS_ST_NEW)
		return USAGE(r, MIGSTREAM_E_STATE, "the reader is already %s: use a new one",
		             state_name(r->state));
	if (fd < 0)
		return USAGE(r, MIGSTREAM_E_INVAL, "fd %d is negative", fd);
	ms_src_open_fd(&r->src, fd, (int)r->opt[MIGSTREAM_OPT_CLOSE_FD]);
	start(r);
	return 0;
}

int migstream_reader_open_path(migstream_reader *r, const char *path)
{
	CHECK(r);
	if (r->state != MS_ST_NEW)
		return USAGE(r, MIGSTREAM_E_STATE, "the reader is already %s: use a new one",
		             state_name(r->state));
	if (!path)
		return USAGE(r, MIGSTREAM_E_INVAL, "path is NULL");
	int fd;
	do
		fd = open(path, O_RDONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		int e = errno;
		ms_fail(&r->ctx, MIGSTREAM_E_IO, e, 0, "cannot open %s: %s", path, strerror(e));
		return MIGSTREAM_E_IO;
	}
	ms_src_open_fd(&r->src, fd, 1);
	start(r);
	return 0;
}

int migstream_reader_open_memory(migstream_reader *r, const void *buf, size_t len)
{
	CHECK(r);
	if (r->state != MS_ST_NEW)
		return USAGE(r, MIGSTREAM_E_STATE, "the reader is already %s: use a new one",
		             state_name(r->state));
	if (!buf && len)
		return USAGE(r, MIGSTREAM_E_INVAL, "buf is NULL with length %zu", len);
	ms_src_open_memory(&r->src, buf, len);
	start(r);
	return 0;
}

int migstream_reader_open_io(migstream_reader *r, const migstream_read_io *io, size_t io_size,
                             void *ctx)
{
	CHECK(r);
	if (r->state != MS_ST_NEW)
		return USAGE(r, MIGSTREAM_E_STATE, "the reader is already %s: use a new one",
		             state_name(r->state));
	if (!io || io_size < sizeof(io->read) || !io->read)
		return USAGE(r, MIGSTREAM_E_INVAL, "io is NULL, io_size %zu too small or no read callback",
		             io_size);
	ms_src_open_io(&r->src, io, io_size, ctx);
	start(r);
	return 0;
}

int migstream_reader_open_push(migstream_reader *r)
{
	CHECK(r);
	if (r->state != MS_ST_NEW)
		return USAGE(r, MIGSTREAM_E_STATE, "the reader is already %s: use a new one",
		             state_name(r->state));
	ms_src_open_push(&r->src);
	r->src.in_place = r->opt[MIGSTREAM_OPT_FEED_IN_PLACE] != 0;
	start(r);
	return 0;
}

int migstream_reader_feed(migstream_reader *r, const void *buf, size_t len, size_t *taken)
{
	CHECK(r);
	if (taken)
		*taken = 0;
	if (!taken || (!buf && len))
		return USAGE(r, MIGSTREAM_E_INVAL, "taken is NULL, or buf is NULL with length %zu", len);
	if (r->state == MS_ST_FATAL)
		return dead(r, __func__);
	if (r->state == MS_ST_NEW || r->state == MS_ST_CLOSED || r->src.kind != MS_SRC_PUSH)
		return USAGE(r, MIGSTREAM_E_STATE, "the reader is %s%s", state_name(r->state),
		             r->state == MS_ST_NEW || r->state == MS_ST_CLOSED ? "" : " on a source of its own");
	if (r->src.push_end)
		return USAGE(r, MIGSTREAM_E_STATE, "migstream_reader_feed_end() was called: no more octets");
	if (r->state == MS_ST_DONE && (r->xc.channel || r->done_checked))
		return USAGE(r, MIGSTREAM_E_STATE, "the stream has ended; what follows it is the caller's "
		             "(migstream_reader_trailing() has what the reader holds)");
	if (r->src.in_place) {
		int e = ms_src_feed_in_place(&r->src, buf, len);
		if (e == MIGSTREAM_E_STATE)
			return USAGE(r, MIGSTREAM_E_STATE, "more than a unit of the octets fed in place is "
			             "unread: call migstream_reader_next() until MIGSTREAM_E_AGAIN before "
			             "feeding octets that do not follow them in memory");
		if (e)
			return ms_io_fail(r, e, 0);
		*taken = len;
		return 0;
	}
	if (ms_src_feed(&r->src, buf, len, taken))
		return ms_io_fail(r, MIGSTREAM_E_NOMEM, 0);
	return 0;
}

int migstream_reader_feed_end(migstream_reader *r)
{
	CHECK(r);
	if (r->state == MS_ST_FATAL)
		return dead(r, __func__);
	if (r->state == MS_ST_NEW || r->state == MS_ST_CLOSED || r->src.kind != MS_SRC_PUSH)
		return USAGE(r, MIGSTREAM_E_STATE, "the reader is %s%s", state_name(r->state),
		             r->state == MS_ST_NEW || r->state == MS_ST_CLOSED ? "" : " on a source of its own");
	r->src.push_end = 1;
	return 0;
}

int migstream_reader_get_poll(migstream_reader *r, int *fd, short *events)
{
	CHECK(r);
	if (!fd || !events)
		return USAGE(r, MIGSTREAM_E_INVAL, "fd or events is NULL");
	if (r->state == MS_ST_NEW || r->state == MS_ST_CLOSED)
		return USAGE(r, MIGSTREAM_E_STATE, "the reader is %s", state_name(r->state));
	if (r->src.kind == MS_SRC_FD) {
		*fd = r->src.fd;
		*events = POLLIN;
	} else {
		*fd = -1;
		*events = 0;
	}
	return 0;
}

int migstream_reader_close(migstream_reader *r)
{
	CHECK(r);
	if (r->state == MS_ST_NEW || r->state == MS_ST_CLOSED)
		return USAGE(r, MIGSTREAM_E_STATE, "the reader is %s", state_name(r->state));
	int e = ms_src_close(&r->src);
	r->state = MS_ST_CLOSED;
	r->rec_live = 0;
	if (e) {
		ms_ctx_reset_error(&r->ctx);
		ms_fail(&r->ctx, MIGSTREAM_E_IO, -e, ms_src_pos(&r->src), "closing the source failed: %s", strerror(-e));
		return MIGSTREAM_E_IO;
	}
	return 0;
}

void migstream_reader_free(migstream_reader *r)
{
	if (!r || r->magic != MS_READER_MAGIC)
		return;
	if (r->state != MS_ST_NEW && r->state != MS_ST_CLOSED)
		ms_src_close(&r->src);
	ms_libxc_free(&r->xc);
	ms_pages_free(&r->pages);
	ms_free(r->xl_opt);
	r->magic = 0;
	ms_free(r);
}

/* ------------------------------------------------------------------ units */

/*
 * A source read unit by unit (a non-blocking fd, pushed octets): before the
 * headers or a record is looked at, the whole of it is made to lie in the
 * source's buffer.  Only this fill can meet E_AGAIN, and it changes nothing
 * but the buffer, so the next call starts the same unit again with more of
 * it there.  Parsing then never waits: every peek it makes is within what
 * the fill made sure of (or the source ended, and the parse reports the
 * truncation as from any other source).
 */

/* n octets at the position: 1 there (*p), 0 the source ends first, or
 * E_AGAIN / a fatal code in *rc (-1 returned). */
static int unit_have(migstream_reader *r, size_t n, const uint8_t **p, int *rc)
{
	size_t avail;
	int err_no = 0;
	int e = ms_src_peek(&r->src, n, p, &avail, &err_no);
	if (e) {
		*rc = e == MIGSTREAM_E_AGAIN ? e : ms_io_fail(r, e, err_no);
		return -1;
	}
	return avail >= n;
}

/* The octets the next step needs, as next_record() and read_headers() will
 * ask for them; 0, E_AGAIN (with the message) or a fatal code. */
static int fill_unit(migstream_reader *r, const char *fn)
{
	const uint8_t *p;
	int rc = 0, k = 1;
	size_t need = 0;
	uint64_t cap = r->opt[MIGSTREAM_OPT_MAX_RECORD_LEN];

	if (!ms_src_unitwise(&r->src))
		return 0;
	if (r->state == MS_ST_OPEN) {
		/* Detection looks at 48 octets; an xl header is followed by its
		 * optional data and the libxl header. */
		if (r->xc.kind == MIGSTREAM_KIND_COLO_BACK)
			return 0;
		if ((k = unit_have(r, need = MS_XL_HDR_SIZE, &p, &rc)) <= 0)
			goto out;
		if (memcmp(p, ms_xl_magic, MS_XL_MAGIC_SIZE) == 0) {
			int be = memcmp(p + 32, "\x01\x02\x03\x04", 4) == 0;
			uint32_t n = ms_get32(p + 44, be);
			if (n <= cap)
				k = unit_have(r, need = MS_XL_HDR_SIZE + (size_t)n + MS_LIBXL_HDR_SIZE, &p, &rc);
		}
		goto out;
	}
	if (r->state == MS_ST_DONE) {
		/* ORDER-1 looks for one octet after the final END of a file. */
		if (!r->xc.channel && !r->done_checked)
			k = unit_have(r, need = 1, &p, &rc);
		goto out;
	}
	if (r->state != MS_ST_RECORDS)
		return 0;

	int is_xc = r->layer == MIGSTREAM_LAYER_LIBXC;
	int be = is_xc ? r->xc.be : r->lx.be;
	size_t base = 0;
	if (is_xc && r->need_libxc_headers) {
		/* The libxc headers, read with the record that follows them. */
		if ((k = unit_have(r, need = MS_IHDR_SIZE + MS_DHDR_SIZE, &p, &rc)) <= 0)
			goto out;
		be = ms_be16(p + 16) & 1u;
		base = MS_IHDR_SIZE + MS_DHDR_SIZE;
	}
	if ((k = unit_have(r, need = base + MS_RHDR_SIZE, &p, &rc)) <= 0)
		goto out;
	uint32_t type = ms_get32(p + base, be), length = ms_get32(p + base + 4, be);
	if (is_xc && r->nested && r->lx.checkpoints && type == UINT32_MAX && length == UINT32_MAX) {
		/* CKPT-2 looks whether an image header is there. */
		k = unit_have(r, need = base + MS_IHDR_SIZE, &p, &rc);
		goto out;
	}
	if (length > cap)
		goto out;                 /* REC-2 / LIBXL-9: the frame is not read */
	size_t pre = 0;
	if (is_xc && r->lx.phase == MS_LX_BACK && r->opt[MIGSTREAM_OPT_BACK_CHANNEL_QUIRK]) {
		/* CKPT-13: eight zero octets may follow the header. */
		if ((k = unit_have(r, need = base + MS_RHDR_SIZE + 8, &p, &rc)) <= 0)
			goto out;
		if (!memcmp(p + base + MS_RHDR_SIZE, "\0\0\0\0\0\0\0\0", 8))
			pre = 8;
	}
	k = unit_have(r, need = base + MS_RHDR_SIZE + pre + (size_t)length + ms_pad8(length), &p, &rc);
out:
	if (k >= 0)
		return 0;
	if (rc != MIGSTREAM_E_AGAIN)
		return rc;
	const void *d;
	size_t have;
	ms_src_unread(&r->src, &d, &have);
	return ms_usage(&r->ctx, MIGSTREAM_E_AGAIN, fn,
	                "%zu of the %zu octets of the next unit at offset 0x%llx are here; %s", have, need,
	                (unsigned long long)ms_src_pos(&r->src),
	                r->src.kind == MS_SRC_PUSH ? "feed more (migstream_reader_feed)"
	                                           : "call again when the fd is readable");
}

/* ------------------------------------------------------------------ failures */

static void where(migstream_reader *r, uint32_t layer, const char *what)
{
	r->ctx.layer = layer;
	r->ctx.rec_index = MIGSTREAM_NO_RECORD;
	r->ctx.what = what;
}

/* ------------------------------------------------------------------ headers */

static const uint8_t ff8[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static int prefix_of(const uint8_t *p, size_t avail, const uint8_t *magic, size_t n)
{
	size_t len = avail < n ? avail : n;
	return len == 0 || memcmp(p, magic, len) == 0;   /* p may be NULL when nothing is here */
}

/* Whether p starts like the libxl header's ident, "LibxlFmt" (big-endian). */
static int libxl_ident_prefix(const uint8_t *p, size_t avail)
{
	uint8_t ident[8];
	ms_put64(ident, MS_LIBXL_IDENT, 1);
	return prefix_of(p, avail, ident, sizeof ident);
}

/* The compressor whose magic starts p, or NULL.  bzip2's "BZh" is followed
 * by the block size digit. */
static const char *compressed(const uint8_t *p, size_t avail)
{
	static const struct { const char *name; uint8_t len; uint8_t magic[6]; } packers[] = {
		{ "xz", 6, { 0xfd, '7', 'z', 'X', 'Z', 0x00 } },
		{ "zstd", 4, { 0x28, 0xb5, 0x2f, 0xfd } },
		{ "gzip", 2, { 0x1f, 0x8b } },
		{ "bzip2", 3, { 'B', 'Z', 'h' } },
	};
	size_t i;

	for (i = 0; i < sizeof packers / sizeof packers[0]; i++) {
		if (avail < packers[i].len || memcmp(p, packers[i].magic, packers[i].len) != 0)
			continue;
		if (i == 3 && (avail < 4 || p[3] < '1' || p[3] > '9'))
			continue;
		return packers[i].name;
	}
	return NULL;
}

/*
 * Whether the first octets can start a legacy libxc stream (F 16.1): the
 * p2m size as a native unsigned long, never 0, then either its high half
 * (0 from a 64-bit toolstack) or, from a 32-bit one, the all-ones signature
 * of the PV extended info, an HVM page batch count (1 to 1024) or an HVM
 * chunk type (a small negative number).  Text, random octets and other
 * formats almost never pass.
 */
static int looks_legacy(const uint8_t *p, size_t avail)
{
	if (avail < 8)
		return 0;
	uint32_t size = ms_le32(p), next = ms_le32(p + 4);
	if (size == 0)
		return 0;
	return next == 0 || next <= 1024 || next >= 0xffffffc0u;
}

/* "xx xx ..": the first (up to 8) octets in hex, for messages. */
static const char *first_octets(const uint8_t *p, size_t avail, char hex[static 25])
{
	static const char digits[] = "0123456789abcdef";
	size_t i, n = avail < 8 ? avail : 8;
	char *o = hex;

	for (i = 0; i < n; i++) {
		if (i)
			*o++ = ' ';
		*o++ = digits[p[i] >> 4];
		*o++ = digits[p[i] & 15];
	}
	*o = '\0';
	return hex;
}

static int detect(migstream_reader *r, const uint8_t *p, size_t avail)
{
	uint64_t fmt = r->opt[MIGSTREAM_OPT_FORMAT];
	char hex[25];
	int rc;

	/* Leading octets (F 2.1); a short input that is a prefix of one of the
	 * magics is a truncated header of that format. */
	int xc = prefix_of(p, avail, ff8, 8);
	int xl = prefix_of(p, avail, ms_xl_magic, MS_XL_MAGIC_SIZE);
	int lx = libxl_ident_prefix(p, avail);
	uint32_t found = xl && (avail >= 8 || fmt == MIGSTREAM_FORMAT_XL) ? MIGSTREAM_FORMAT_XL
	               : lx && (avail >= 8 || fmt == MIGSTREAM_FORMAT_LIBXL) ? MIGSTREAM_FORMAT_LIBXL
	               : xc ? MIGSTREAM_FORMAT_LIBXC : MIGSTREAM_FORMAT_LEGACY;
	if (avail == 0 && fmt != MIGSTREAM_FORMAT_AUTO)
		found = (uint32_t)fmt;
	const char *packer = found == MIGSTREAM_FORMAT_LEGACY ? compressed(p, avail) : NULL;
	if (packer) {
		/* Compressed input is never a stream of any format. */
		where(r, MIGSTREAM_LAYER_NONE, "first octets");
		rc = ms_fail(&r->ctx, MIGSTREAM_E_NOT_STREAM, 0, 0,
		             "input is compressed with %s (first octets %s); decompress it first",
		             packer, first_octets(p, avail, hex));
		return ms_die(r, rc);
	}
	if (fmt == MIGSTREAM_FORMAT_AUTO || found == fmt) {
		if (found == MIGSTREAM_FORMAT_LEGACY && avail < 8 && (xc || xl || lx))
			found = MIGSTREAM_FORMAT_LIBXC;   /* too short to tell: truncated */
		r->format = found;
		if (found != MIGSTREAM_FORMAT_LEGACY)
			return 0;
		if (avail >= 12 && memcmp(p + 8, "XENF", 4) == 0) {
			/* A v2+ image header whose marker is damaged. */
			r->format = MIGSTREAM_FORMAT_LIBXC;
			where(r, MIGSTREAM_LAYER_LIBXC, "libxc image header");
			rc = ms_report(&r->ctx, R_IHDR_2, 0, "marker is not all ones (%s) but the id is \"XENF\"",
			               first_octets(p, avail, hex));
			return ms_die(r, rc ? rc : MIGSTREAM_E_BAD_MAGIC);
		}
		if (!looks_legacy(p, avail)) {
			r->format = MIGSTREAM_FORMAT_AUTO;
			where(r, MIGSTREAM_LAYER_NONE, "first octets");
			rc = ms_fail(&r->ctx, MIGSTREAM_E_NOT_STREAM, 0, 0,
			             "not a Xen save or migration stream (first octets %s)",
			             first_octets(p, avail, hex));
			return ms_die(r, rc);
		}
		where(r, MIGSTREAM_LAYER_LIBXC, "libxc image header");
		uint32_t hi = ms_le32(p + 4);
		ms_report(&r->ctx, R_LEGACY_2, 0, "legacy stream from a %s toolstack (p2m_size word 0x%08x%s)",
		          hi == 0 ? "64-bit" : "32-bit", ms_le32(p), hi == 0 ? ", high half 0" : "");
		rc = ms_report(&r->ctx, R_LEGACY_1, 0,
		               "legacy (pre-Xen 4.6) stream: first 8 octets are not all ones; convert it first "
		               "(convert-legacy-stream)");
		return ms_die(r, rc ? rc : MIGSTREAM_E_LEGACY);
	}
	/* The caller named a format and the octets say otherwise. */
	static const char *const names[] = { "", "a bare libxc image", "a libxl stream", "an xl save file",
	                                      "not a Xen stream of version 2 or later" };
	r->format = (uint32_t)fmt;
	if (fmt == MIGSTREAM_FORMAT_LIBXC) {
		where(r, MIGSTREAM_LAYER_LIBXC, "libxc image header");
		rc = ms_report(&r->ctx, R_IHDR_2, 0, "marker is not all ones: this is %s", names[found]);
	} else if (fmt == MIGSTREAM_FORMAT_LIBXL) {
		where(r, MIGSTREAM_LAYER_LIBXL, "libxl header");
		rc = ms_report(&r->ctx, R_LIBXL_2, 0, "ident is not \"LibxlFmt\": this is %s", names[found]);
	} else {
		where(r, MIGSTREAM_LAYER_XL, "xl header");
		rc = ms_report(&r->ctx, R_XL_1, 0, "no xl save-file magic: this is %s", names[found]);
	}
	return ms_die(r, rc ? rc : MIGSTREAM_E_BAD_MAGIC);
}

/* The libxc image header and domain header, at the current position. */
static int read_libxc_headers(migstream_reader *r)
{
	const uint8_t *p;
	size_t avail;
	int err_no = 0, rc, first;

	r->image_offset = ms_src_pos(&r->src);
	rc = ms_src_peek(&r->src, MS_IHDR_SIZE + MS_DHDR_SIZE, &p, &avail, &err_no);
	if (rc)
		return ms_io_fail(r, rc, err_no);
	where(r, MIGSTREAM_LAYER_LIBXC, "libxc image header");
	if (avail < MS_IHDR_SIZE)
		return ms_truncated(r, R_IHDR_1, ms_src_pos(&r->src) + avail, "inside the 24-octet image header");
	rc = ms_libxc_image_header(&r->xc, &r->ctx, p, ms_src_pos(&r->src));
	if (rc && migstream_error_is_fatal(rc))
		return ms_die(r, rc);
	first = rc;
	r->ih.marker = ms_be64(p);
	r->ih.id = ms_be32(p + 8);
	r->ih.version = ms_be32(p + 12);
	r->ih.options = ms_be16(p + 16);
	r->ih.reserved1 = ms_be16(p + 18);
	r->ih.reserved2 = ms_be32(p + 20);
	if (avail < MS_IHDR_SIZE + MS_DHDR_SIZE)
		return ms_truncated(r, R_DHDR_1, ms_src_pos(&r->src) + avail, "inside the 16-octet domain header");
	const uint8_t *d = p + MS_IHDR_SIZE;
	r->ctx.what = "libxc domain header";
	rc = ms_libxc_domain_header(&r->xc, &r->ctx, d, ms_src_pos(&r->src) + MS_IHDR_SIZE);
	int be = r->xc.be;
	r->dh.type = ms_get32(d, be);
	r->dh.page_shift = ms_get16(d + 4, be);
	r->dh.reserved = ms_get16(d + 6, be);
	r->dh.xen_major = ms_get32(d + 8, be);
	r->dh.xen_minor = ms_get32(d + 12, be);
	if (r->nested)
		ms_libxl_after_libxc_headers(&r->lx, &r->ctx, ms_src_pos(&r->src) + MS_IHDR_SIZE + 8);
	ms_src_consume(&r->src, MS_IHDR_SIZE + MS_DHDR_SIZE);
	r->have_headers = 1;
	r->need_libxc_headers = 0;
	r->ctx.what = NULL;
	/* Lax mode reads on past an unknown domain type (generic checks only). */
	if (rc && migstream_error_is_fatal(rc) &&
	    !(r->ctx.mode == MIGSTREAM_MODE_LAX && rc == MIGSTREAM_E_HEADER))
		return ms_die(r, rc);
	if (!first)
		first = rc;
	/* Record-level header findings (reserved fields, caller knowledge) are
	 * returned once; the next call goes on with the records.  Lax mode
	 * only reports them. */
	return r->ctx.mode == MIGSTREAM_MODE_LAX ? 0 : first;
}

/* The xl header, its optional data (kept), and the facts in its config. */
static int read_xl_header(migstream_reader *r)
{
	const uint8_t *p;
	size_t avail;
	int err_no = 0, rc, be = 0, first = 0;

	where(r, MIGSTREAM_LAYER_XL, "xl header");
	rc = ms_src_peek(&r->src, MS_XL_HDR_SIZE, &p, &avail, &err_no);
	if (rc)
		return ms_io_fail(r, rc, err_no);
	if (avail < MS_XL_HDR_SIZE)
		return ms_truncated(r, R_XL_1, ms_src_pos(&r->src) + avail, "inside the 48-octet xl header");
	rc = ms_xl_header(&r->ctx, p, ms_src_pos(&r->src), &be);
	if (rc && (migstream_error_is_fatal(rc) || rc == MIGSTREAM_E_HEADER) &&
	    !(r->ctx.mode == MIGSTREAM_MODE_LAX && rc == MIGSTREAM_E_UNSUPPORTED))
		return ms_die(r, rc == MIGSTREAM_E_HEADER ? MIGSTREAM_E_HEADER : rc);
	first = rc;
	memcpy(r->xlh.magic, p, 32);
	r->xlh.byteorder = ms_le32(p + 32);
	r->xlh.mandatory_flags = ms_get32(p + 36, be);
	r->xlh.optional_flags = ms_get32(p + 40, be);
	r->xlh.optional_data_len = ms_get32(p + 44, be);
	uint32_t n = r->xlh.optional_data_len;
	uint8_t hdr[MS_XL_HDR_SIZE];
	memcpy(hdr, p, sizeof hdr);
	r->have_xl = 1;
	if (n > r->opt[MIGSTREAM_OPT_MAX_RECORD_LEN]) {
		ms_fail(&r->ctx, MIGSTREAM_E_TOO_LONG, 0, ms_src_pos(&r->src) + 44,
		        "optional_data_len %u exceeds the reader's cap of %llu", n,
		        (unsigned long long)r->opt[MIGSTREAM_OPT_MAX_RECORD_LEN]);
		return ms_die(r, MIGSTREAM_E_TOO_LONG);
	}
	rc = ms_src_peek(&r->src, MS_XL_HDR_SIZE + (size_t)n, &p, &avail, &err_no);
	if (rc)
		return ms_io_fail(r, rc, err_no);
	if (avail < MS_XL_HDR_SIZE + (size_t)n)
		return ms_truncated(r, R_XL_6, ms_src_pos(&r->src) + avail, "inside the xl optional data");
	r->xl_opt = ms_malloc(n ? n : 1);
	if (!r->xl_opt)
		return ms_io_fail(r, MIGSTREAM_E_NOMEM, 0);
	memcpy(r->xl_opt, p + MS_XL_HDR_SIZE, n);
	r->xl_opt_len = n;
	rc = ms_xl_optional(&r->ctx, hdr, be, r->xl_opt, n, ms_src_pos(&r->src) + MS_XL_HDR_SIZE, &r->cfg,
	                    &r->xl_config_len);
	if (rc && r->ctx.mode != MIGSTREAM_MODE_LAX)
		return ms_die(r, rc);
	ms_src_consume(&r->src, MS_XL_HDR_SIZE + (size_t)n);
	if (!first)
		first = rc;

	/* Embedded knowledge, unless the caller said otherwise (rules.md 1.2). */
	ms_frame_xl_knowledge(&r->lx, &r->xc, &r->cfg);

	where(r, MIGSTREAM_LAYER_XL, "xl header");
	if ((rc = ms_frame_xl_streamv2(&r->ctx, r->xlh.mandatory_flags, ms_src_pos(&r->src), 1)))
		return ms_die(r, rc);
	return r->ctx.mode == MIGSTREAM_MODE_LAX ? 0 : first;
}

static int read_libxl_header(migstream_reader *r, int after_xl)
{
	const uint8_t *p;
	size_t avail;
	int err_no = 0, rc;

	where(r, MIGSTREAM_LAYER_LIBXL, "libxl header");
	r->libxl_offset = ms_src_pos(&r->src);
	rc = ms_src_peek(&r->src, MS_LIBXL_HDR_SIZE, &p, &avail, &err_no);
	if (rc)
		return ms_io_fail(r, rc, err_no);
	if (after_xl && !libxl_ident_prefix(p, avail)) {
		rc = ms_report(&r->ctx, R_XL_12, ms_src_pos(&r->src),
		               "STREAMv2 set but the octets after the xl header are not a libxl stream header");
		return ms_die(r, rc ? rc : MIGSTREAM_E_BAD_MAGIC);
	}
	if (avail < MS_LIBXL_HDR_SIZE)
		return ms_truncated(r, R_LIBXL_1, ms_src_pos(&r->src) + avail, "inside the 16-octet libxl header");
	rc = ms_libxl_header(&r->lx, &r->ctx, p, ms_src_pos(&r->src));
	if (rc && migstream_error_is_fatal(rc))
		return ms_die(r, rc);
	r->lh.ident = ms_be64(p);
	r->lh.version = ms_be32(p + 8);
	r->lh.options = ms_be32(p + 12);
	r->have_libxl = 1;
	ms_src_consume(&r->src, MS_LIBXL_HDR_SIZE);
	r->layer = MIGSTREAM_LAYER_LIBXL;
	r->lx.phase = MS_LX_BEFORE;
	return r->ctx.mode == MIGSTREAM_MODE_LAX ? 0 : rc;
}

static int read_headers(migstream_reader *r)
{
	const uint8_t *p;
	size_t avail;
	int err_no = 0, rc, first = 0;

	r->lx.kind = r->xc.kind;
	r->lx.xc = &r->xc;
	if (r->xc.kind == MIGSTREAM_KIND_COLO_BACK) {
		/* The COLO back channel has no header of any kind (F 12.3). */
		r->format = MIGSTREAM_FORMAT_LIBXL;
		r->nested = 1;
		r->layer = MIGSTREAM_LAYER_LIBXL;
		r->lx.phase = MS_LX_BACK;
		r->state = MS_ST_RECORDS;
		return 0;
	}
	rc = ms_src_peek(&r->src, MS_XL_HDR_SIZE, &p, &avail, &err_no);
	if (rc)
		return ms_io_fail(r, rc, err_no);
	if ((rc = detect(r, p, avail)))
		return rc;
	switch (r->format) {
	case MIGSTREAM_FORMAT_XL:
		if ((rc = read_xl_header(r)) && (migstream_error_is_fatal(rc) || r->state == MS_ST_FATAL))
			return rc;
		first = rc;
		if ((rc = read_libxl_header(r, 1)) && r->state == MS_ST_FATAL)
			return rc;
		r->nested = 1;
		break;
	case MIGSTREAM_FORMAT_LIBXL:
		if ((rc = read_libxl_header(r, 0)) && r->state == MS_ST_FATAL)
			return rc;
		r->nested = 1;
		break;
	default:
		r->layer = MIGSTREAM_LAYER_LIBXC;
		rc = read_libxc_headers(r);
		if (r->state == MS_ST_FATAL)
			return rc;
		break;
	}
	r->state = MS_ST_RECORDS;
	return first ? first : rc;
}

int migstream_reader_read_headers(migstream_reader *r)
{
	CHECK(r);
	if (r->state == MS_ST_FATAL)
		return dead(r, __func__);
	if (r->state == MS_ST_NEW || r->state == MS_ST_CLOSED)
		return USAGE(r, MIGSTREAM_E_STATE, "the reader is %s", state_name(r->state));
	if (r->state != MS_ST_OPEN)
		return 0;
	ms_ctx_reset_error(&r->ctx);
	int rc = fill_unit(r, __func__);
	return rc ? rc : read_headers(r);
}

int migstream_reader_format(migstream_reader *r, uint32_t *format)
{
	CHECK(r);
	if (!format)
		return USAGE(r, MIGSTREAM_E_INVAL, "format is NULL");
	if (r->state == MS_ST_NEW || (r->state == MS_ST_OPEN && r->format == 0))
		return USAGE(r, MIGSTREAM_E_STATE, "the format is known once reading has started");
	*format = r->format;
	return 0;
}

/* Copy a header the reader keeps into a caller struct of `size` octets. */
static int get_header(migstream_reader *r, const char *fn, int have, const void *src, size_t len,
                      void *out, size_t size)
{
	CHECK(r);
	if (!out)
		return ms_usage(&r->ctx, MIGSTREAM_E_INVAL, fn, "out is NULL");
	if (!have)
		return ms_usage(&r->ctx, MIGSTREAM_E_STATE, fn, "the stream has no such header, or it is not read yet");
	memcpy(out, src, size < len ? size : len);
	return 0;
}

int migstream_reader_get_image_header(migstream_reader *r, migstream_image_header *out, size_t size)
{
	return get_header(r, __func__, r && r->have_headers, r ? &r->ih : NULL, sizeof r->ih, out, size);
}

int migstream_reader_get_domain_header(migstream_reader *r, migstream_domain_header *out, size_t size)
{
	return get_header(r, __func__, r && r->have_headers, r ? &r->dh : NULL, sizeof r->dh, out, size);
}

int migstream_reader_get_xl_header(migstream_reader *r, migstream_xl_header *out, size_t size)
{
	return get_header(r, __func__, r && r->have_xl, r ? &r->xlh : NULL, sizeof r->xlh, out, size);
}

int migstream_reader_get_xl_optional_data(migstream_reader *r, const void **data, size_t *len)
{
	CHECK(r);
	if (!data || !len)
		return USAGE(r, MIGSTREAM_E_INVAL, "data or len is NULL");
	if (!r->have_xl || !r->xl_opt)
		return USAGE(r, MIGSTREAM_E_STATE, "the stream has no xl optional data, or it is not read yet");
	*data = r->xl_opt;
	*len = r->xl_opt_len;
	return 0;
}

int migstream_reader_get_xl_config(migstream_reader *r, const void **data, size_t *len)
{
	CHECK(r);
	if (!data || !len)
		return USAGE(r, MIGSTREAM_E_INVAL, "data or len is NULL");
	if (!r->have_xl || !r->xl_opt)
		return USAGE(r, MIGSTREAM_E_STATE, "the stream has no xl optional data, or it is not read yet");
	*data = r->xl_opt_len >= 4 ? r->xl_opt + 4 : r->xl_opt;
	*len = r->xl_config_len;
	return 0;
}

int migstream_reader_get_libxl_header(migstream_reader *r, migstream_libxl_header *out, size_t size)
{
	return get_header(r, __func__, r && r->have_libxl, r ? &r->lh : NULL, sizeof r->lh, out, size);
}

/* ------------------------------------------------------------------ pages */

/* Finish the current record (pages.c checks and skips the page contents
 * nobody read).  Returns a record-level error found in page contents
 * (reported against that record), or a fatal code. */
static int finish_record(migstream_reader *r)
{
	if (!r->rec_live)
		return 0;
	r->rec_live = 0;
	ms_locate(r);
	return ms_pages_finish(&r->pages);
}

int migstream_reader_read_pages(migstream_reader *r, void *const pages[], uint32_t n)
{
	CHECK(r);
	if (r->state == MS_ST_FATAL)
		return dead(r, __func__);
	if (r->state != MS_ST_RECORDS || !r->rec_live || r->rec.type != MIGSTREAM_REC_PAGE_DATA ||
	    r->rec.layer != MIGSTREAM_LAYER_LIBXC)
		return USAGE(r, MIGSTREAM_E_STATE, "the current record is no libxc PAGE_DATA");
	if (!pages && n)
		return USAGE(r, MIGSTREAM_E_INVAL, "pages is NULL with n %u", n);
	uint32_t left = ms_pages_left(&r->pages);
	if (n > left)
		return USAGE(r, MIGSTREAM_E_RANGE, "%u pages asked, %u left in the record", n, left);
	if (n == 0)
		return 0;
	ms_ctx_reset_error(&r->ctx);
	ms_locate(r);
	return ms_pages_read(&r->pages, pages, n);
}

/* ------------------------------------------------------------------ records */

static int at_eof_boundary(migstream_reader *r)
{
	uint64_t off = ms_src_pos(&r->src);
	int n = ms_checkpoints(r);
	ms_ckpt_eof(&r->ckpt, off);
	where(r, r->layer, r->nested ? "libxl stream" : "libxc stream");
	if (r->lx.phase == MS_LX_BACK) {
		if (r->lx.bc_pos == 0) {
			r->state = MS_ST_DONE;
			r->done_checked = 1;
			return MIGSTREAM_EOF;
		}
		ms_report_sev(&r->ctx, R_CKPT_10, MS_SEV_E, MIGSTREAM_E_TRUNCATED, off,
		              "back channel ends in the middle of a checkpoint cycle (record %d of 4)",
		              r->lx.bc_pos + 1);
		return ms_die(r, MIGSTREAM_E_TRUNCATED);
	}
	if (n) {
		if (r->xc.channel) {
			ms_report_sev(&r->ctx, R_CKPT_5, MS_SEV_W, 0, off,
			              "channel ended after %d complete checkpoint%s: failover to the last one; "
			              "records since it are discarded", n, n == 1 ? "" : "s");
			r->state = MS_ST_DONE;
			r->done_checked = 1;
			return MIGSTREAM_EOF;
		}
		return ms_truncated(r, R_ORDER_2, off, "at a record boundary before END");
	}
	if (r->xc.kind == MIGSTREAM_KIND_REMUS || r->xc.kind == MIGSTREAM_KIND_COLO) {
		ms_report_sev(&r->ctx, R_CKPT_6, MS_SEV_E, MIGSTREAM_E_TRUNCATED, off,
		              "checkpointed stream ends before its first checkpoint is complete");
		return ms_die(r, MIGSTREAM_E_TRUNCATED);
	}
	return ms_truncated(r, R_ORDER_2, off, "at a record boundary before END");
}

/* Hand the stream between the layers after a record (F 11, F 12). */
static void transition(migstream_reader *r, const struct migstream_record *rec)
{
	struct ms_flow f = { (uint32_t)r->layer, r->nested, r->need_libxc_headers, 0, 0 };
	ms_flow_after(&f, &r->lx, &r->xc, rec->layer, rec->type);
	if (f.restart_libxc) {
		/* Another image follows (reported): check it afresh. */
		ms_libxc_restart(&r->xc, r->opt[MIGSTREAM_OPT_MAX_PFN_MAP]);
		ms_pages_restart(&r->pages);
		r->rec_index = 0;
	}
	r->layer = (int)f.layer;
	r->need_libxc_headers = f.need_libxc_headers;
	if (f.done)
		r->state = MS_ST_DONE;
}

/*
 * The frame of the record whose header was just read, before its body is
 * looked at: no image header after CHECKPOINT_END (CKPT-2), the record cap
 * (REC-2, LIBXL-9), the back channel's cycle (CKPT-10) and its Xen 4.18+
 * zero octets (CKPT-13, *pre = 8).  0, or the code the reader died with.
 */
static int frame_checks(migstream_reader *r, const struct migstream_record *rec, size_t *pre)
{
	const uint8_t *p;
	size_t avail;
	int err_no = 0, rc;

	/* CKPT-2: after CHECKPOINT_END the image goes on without new headers. */
	if (rec->layer == MIGSTREAM_LAYER_LIBXC && r->nested && r->lx.checkpoints &&
	    rec->type == UINT32_MAX && rec->length == UINT32_MAX) {
		rc = ms_src_peek(&r->src, MS_IHDR_SIZE, &p, &avail, &err_no);
		if (rc)
			return ms_io_fail(r, rc, err_no);
		if (avail >= 12 && ms_be32(p + 8) == MS_IHDR_ID) {
			ms_report(&r->ctx, R_CKPT_2, rec->offset,
			          "a new libxc image header after CHECKPOINT_END; the image continues with records, "
			          "not headers");
			return ms_die(r, MIGSTREAM_E_SEQUENCE);
		}
	}

	if (ms_frame_length(&r->ctx, rec->layer, rec->length, r->opt[MIGSTREAM_OPT_MAX_RECORD_LEN],
	                    rec->offset))
		return ms_die(r, MIGSTREAM_E_TOO_LONG);

	/* COLO back channel: the cycle fixes the layer (CKPT-10); Xen 4.18+
	 * may put 8 zero octets after the dirty list's header (CKPT-13). */
	if (r->lx.phase == MS_LX_BACK && rec->layer == MIGSTREAM_LAYER_LIBXC) {
		if (ms_frame_back_channel_libxc(&r->lx, &r->ctx, rec->type))
			return ms_die(r, MIGSTREAM_E_SEQUENCE);
		if (r->opt[MIGSTREAM_OPT_BACK_CHANNEL_QUIRK]) {
			rc = ms_src_peek(&r->src, MS_RHDR_SIZE + 8, &p, &avail, &err_no);
			if (rc)
				return ms_io_fail(r, rc, err_no);
			if (avail >= MS_RHDR_SIZE + 8 && !memcmp(p + MS_RHDR_SIZE, "\0\0\0\0\0\0\0\0", 8)) {
				*pre = 8;
				ms_report(&r->ctx, R_CKPT_13, rec->offset,
				          "8 zero octets between the header and the pfn array (Xen 4.18+ secondary) consumed");
			}
		}
	}
	return 0;
}

/* The header of the next record into r->rec: 0, or the status to return
 * (MIGSTREAM_EOF at a clean end, a truncation, an I/O failure). */
static int record_header(migstream_reader *r, int is_xc, struct migstream_record **recp)
{
	const uint8_t *p;
	size_t avail;
	int err_no = 0;
	int layer = r->layer;
	int be = is_xc ? r->xc.be : r->lx.be;

	int rc = ms_src_peek(&r->src, MS_RHDR_SIZE, &p, &avail, &err_no);
	if (rc)
		return ms_io_fail(r, rc, err_no);
	if (avail == 0)
		return at_eof_boundary(r);
	if (avail < MS_RHDR_SIZE) {
		where(r, layer, is_xc ? "libxc record header" : "libxl record header");
		return ms_truncated(r, is_xc ? R_REC_1 : R_LIBXL_7, ms_src_pos(&r->src) + avail, "inside a record header");
	}
	struct migstream_record *rec = &r->rec;
	memset(rec, 0, sizeof *rec);
	rec->pages = &r->pages;
	rec->layer = (uint32_t)layer;
	rec->type = ms_get32(p, be);
	rec->length = ms_get32(p + 4, be);
	rec->offset = ms_src_pos(&r->src);
	rec->index = is_xc ? r->rec_index : r->lx_index;
	rec->be = be;
	ms_locate(r);
	*recp = rec;
	return 0;
}

/* Make the record's body (of a PAGE_DATA record: its pfn array, the pages
 * coming later) contiguous in memory: 0, or the status to return.
 * whole: header, pre, body and padding; *need: the octets peeked. */
static int record_body(migstream_reader *r, struct migstream_record *rec, int is_xc, size_t pre, size_t whole,
                       size_t *need, int *lazy)
{
	const uint8_t *p;
	size_t avail;
	int err_no = 0, rc;
	/* A record cut short by the end of a file or buffer is REC-1 (LIBXL-7)
	 * before any of its contents is looked at, from every seekable source
	 * alike. */
	uint64_t eof;
	if (ms_src_ends_before(&r->src, rec->offset + whole, &eof))
		return ms_truncated(r, is_xc ? R_REC_1 : R_LIBXL_7, eof,
		                    eof < rec->offset + MS_RHDR_SIZE + pre + rec->length ? "inside a record body"
		                                                                        : "inside record padding");
	*need = whole;
	*lazy = 0;
	if (is_xc && rec->type == MIGSTREAM_REC_PAGE_DATA && (rc = ms_pages_lazy(&r->pages, rec, need, lazy)))
		return rc;
	rc = ms_src_peek(&r->src, *need, &p, &avail, &err_no);
	if (rc)
		return ms_io_fail(r, rc, err_no);
	if (avail < *need)
		return ms_truncated(r, is_xc ? R_REC_1 : R_LIBXL_7, ms_src_pos(&r->src) + avail,
		                    avail < MS_RHDR_SIZE + pre + (size_t)rec->length ? "inside a record body"
		                                                                       : "inside record padding");
	rec->body = p + MS_RHDR_SIZE + pre;
	rec->avail = *lazy ? *need - MS_RHDR_SIZE : rec->length;
	if (*lazy && (rc = ms_pages_keep_array(&r->pages, rec, rec->avail)))
		return rc;
	return 0;
}

/* The rules of the record's layer (with the start_info page when the state
 * completes): their status. */
static int record_rules(migstream_reader *r, struct migstream_record *rec, int is_xc, int lazy, uint32_t pad)
{
	int rc;
	if (!is_xc) {
		rc = ms_libxl_record(&r->lx, &r->ctx, rec->type, rec->length, rec->body);
		if (!rc && pad)
			rc = ms_libxl_padding(&r->ctx, rec->body + rec->length, pad, rec->offset);
		return rc;
	}
	if ((rec->type == MIGSTREAM_REC_END || rec->type == MIGSTREAM_REC_CHECKPOINT) &&
	    (rc = ms_pages_start_info(&r->pages)))
		return rc;
	rc = ms_libxc_record(&r->xc, &r->ctx, rec->type, rec->length, rec->body, rec->avail);
	ms_pages_start_info_done(&r->pages);
	if (!rc && !lazy && pad)
		rc = ms_libxc_padding(&r->xc, &r->ctx, rec->body + rec->length, pad, rec->offset);
	return rc;
}

/* The record is read (rule status rc): count it, hand its pages to the
 * page owner, say how much of the source it takes, move the flow and the
 * checkpoint model on.  0, or a failure of the page owner. */
static int record_taken(migstream_reader *r, struct migstream_record *rec, int is_xc, int rc, int lazy,
                        size_t need, size_t whole)
{
	if (is_xc)
		r->rec_index++;
	else
		r->lx_index++;
	r->rec_live = 1;
	r->skip_rest = 0;
	int e = ms_pages_begin(&r->pages, rec, rc != 0, !lazy);
	if (e)
		return e;
	if (lazy && rec->data_pages) {
		/* Header and pfn array now; pages and padding when finished. */
		r->rec_consume = need;
	} else if (lazy) {
		/* A broken PAGE_DATA: no pages to deliver; skip its remainder. */
		r->rec_consume = need;
		r->skip_rest = (uint64_t)whole - need;
	} else {
		r->rec_consume = whole;
	}
	transition(r, rec);
	ms_ckpt_record(&r->ckpt, rec, rec->offset + whole, r->nested, r->lx.phase == MS_LX_BACK);
	return 0;
}

static int next_record(migstream_reader *r, const migstream_record **out)
{
	struct migstream_record *rec = NULL;
	int rc;

	if (r->layer == MIGSTREAM_LAYER_LIBXC && r->need_libxc_headers && (rc = read_libxc_headers(r)))
		return rc;
	int is_xc = r->layer == MIGSTREAM_LAYER_LIBXC;
	if ((rc = record_header(r, is_xc, &rec)))
		return rc;
	size_t pre = 0;
	if ((rc = frame_checks(r, rec, &pre)))
		return rc;
	uint32_t pad = ms_pad8(rec->length);
	size_t whole = MS_RHDR_SIZE + pre + (size_t)rec->length + pad, need;
	int lazy;
	if ((rc = record_body(r, rec, is_xc, pre, whole, &need, &lazy)))
		return rc;
	rc = record_rules(r, rec, is_xc, lazy, pad);
	int e = record_taken(r, rec, is_xc, rc, lazy, need, whole);
	if (e)
		return e;
	if (rc) {
		if (r->ctx.mode == MIGSTREAM_MODE_LAX && !migstream_error_is_fatal(rc)) {
			*out = rec;
			return 0;
		}
		if (migstream_error_is_fatal(rc))
			return ms_die(r, rc);
		return rc;
	}
	*out = rec;
	return 0;
}

int migstream_reader_next(migstream_reader *r, const migstream_record **out)
{
	CHECK(r);
	if (!out)
		return USAGE(r, MIGSTREAM_E_INVAL, "rec is NULL");
	*out = NULL;
	switch (r->state) {
	case MS_ST_NEW:
	case MS_ST_CLOSED:
		return USAGE(r, MIGSTREAM_E_STATE, "the reader is %s", state_name(r->state));
	case MS_ST_FATAL:
		return dead(r, __func__);
	default:
		break;
	}
	ms_ctx_reset_error(&r->ctx);
	ms_ckpt_next(&r->ckpt);
	if (r->state == MS_ST_OPEN) {
		int rc = fill_unit(r, __func__);
		if (!rc)
			rc = read_headers(r);
		if (rc)
			return rc;
	}
	int rc = finish_record(r);
	if (rc && migstream_error_is_fatal(rc))
		return rc;
	if (r->skip_rest) {
		uint64_t done;
		int err_no = 0;
		int e = ms_src_skip(&r->src, r->skip_rest, &done, &err_no);
		uint64_t want = r->skip_rest;
		r->skip_rest = 0;
		if (e)
			return ms_io_fail(r, e, err_no);
		if (done < want) {
			ms_locate(r);
			return ms_truncated(r, R_REC_1, ms_src_pos(&r->src), "inside a record body");
		}
	}
	if (rc) {
		/* A page-content finding of the previous record; it is reported. */
		if (r->ctx.mode != MIGSTREAM_MODE_LAX)
			return rc;
		ms_ctx_reset_error(&r->ctx);
	}

	if (r->state != MS_ST_FATAL && (rc = fill_unit(r, __func__)) != 0)
		return rc;
	if (r->state == MS_ST_DONE || r->state == MS_ST_FATAL) {
		if (r->state == MS_ST_FATAL)
			return r->fatal_code;
		if (r->xc.channel || r->done_checked)
			return MIGSTREAM_EOF;
		/* ORDER-1: nothing may follow the outermost END of a file. */
		const uint8_t *p;
		size_t avail;
		int err_no = 0;
		int e = ms_src_peek(&r->src, 1, &p, &avail, &err_no);
		if (e)
			return ms_io_fail(r, e, err_no);
		r->done_checked = 1;
		if (avail) {
			ms_frame_after_end(&r->ctx, ms_src_pos(&r->src), p[0], 0, 0);
			return ms_die(r, MIGSTREAM_E_TRAILING);
		}
		return MIGSTREAM_EOF;
	}
	return next_record(r, out);
}

uint64_t migstream_reader_offset(const migstream_reader *r)
{
	if (!r || r->magic != MS_READER_MAGIC)
		return 0;
	return ms_src_pos(&r->src) + r->rec_consume;
}

uint64_t migstream_reader_count(const migstream_reader *r, uint32_t severity)
{
	if (!r || r->magic != MS_READER_MAGIC || severity > MIGSTREAM_SEV_ERROR)
		return 0;
	return r->ctx.counts[severity];
}

uint64_t migstream_reader_anomalies(const migstream_reader *r)
{
	if (!r || r->magic != MS_READER_MAGIC)
		return 0;
	return r->ctx.anomalies;
}

int migstream_reader_trailing(migstream_reader *r, const void **data, size_t *len)
{
	CHECK(r);
	if (!data || !len)
		return USAGE(r, MIGSTREAM_E_INVAL, "data or len is NULL");
	if (r->state != MS_ST_DONE || r->rec_live)
		return USAGE(r, MIGSTREAM_E_STATE, "trailing octets are known once next() has returned MIGSTREAM_EOF");
	ms_src_unread(&r->src, data, len);
	return 0;
}

const char *migstream_reader_errmsg(const migstream_reader *r)
{
	if (!r || r->magic != MS_READER_MAGIC)
		return "invalid reader handle";
	return r->ctx.err_msg;
}

int migstream_reader_error(const migstream_reader *r, migstream_diag *out, size_t size)
{
	CHECK(r);
	if (!out)
		return MIGSTREAM_E_INVAL;
	migstream_diag d = r->ctx.err;
	d.message = r->ctx.err_text;
	if (!d.rule)
		d.rule = "";
	memcpy(out, &d, size < sizeof d ? size : sizeof d);
	return 0;
}
