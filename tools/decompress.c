/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * decompress.c: compressed input for the migstream command.  Save images are
 * usually kept compressed; like bsdtar, the command recognises xz, zstd and
 * gzip by their magic (never by the file name) and hands the reader the
 * decompressed octets through migstream_reader_open_io().  Memory is
 * bounded: one input buffer and the decompressor's own window.
 *
 * A pipe cannot be peeked at, so the first octets read to look for a magic
 * are kept and served again first; an uncompressed pipe then goes through
 * the same callbacks ("pass-through").
 */
#define _GNU_SOURCE   /* splice() */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LZMA
#include <lzma.h>
#endif
#ifdef HAVE_ZSTD
#include <zstd.h>
#endif
#ifdef HAVE_ZLIB
#include <zlib.h>
#endif

#include "common.h"

enum { D_PASS, D_XZ, D_ZSTD, D_GZIP };

#define IBUF_SIZE (128u << 10)

struct decomp {
	int kind;
	const char *name;             /* input name, for messages */
	int fd;
	const uint8_t *map;           /* mapped file, or NULL */
	size_t map_len, map_pos;
	uint8_t head[8];              /* first octets read from a pipe */
	size_t head_len, head_pos;
	uint8_t *ibuf;
	const uint8_t *in_p;          /* compressed octets not yet consumed */
	size_t in_n;
	int in_eof;
	int ended, failed;
	uint64_t in_octets;           /* compressed octets consumed */
	uint64_t out_octets;          /* octets handed to the reader */
#ifdef HAVE_LZMA
	lzma_stream xz;
#endif
#ifdef HAVE_ZSTD
	ZSTD_DStream *zs;
	size_t zs_hint;               /* last return: 0 between frames */
#endif
#ifdef HAVE_ZLIB
	z_stream gz;
	int gz_between;               /* a member ended; EOF or another follows */
#endif
};

/* The one compressed input of this process, for the progress line. */
static const struct decomp *current;

const char *compression_name(const void *p, size_t n)
{
	const uint8_t *o = p;

	if (n >= 6 && memcmp(o, "\xfd" "7zXZ\0", 6) == 0)
		return "xz";
	if (n >= 4 && memcmp(o, "\x28\xb5\x2f\xfd", 4) == 0)
		return "zstd";
	if (n >= 2 && o[0] == 0x1f && o[1] == 0x8b)
		return "gzip";
	if (n >= 4 && memcmp(o, "BZh", 3) == 0 && o[3] >= '1' && o[3] <= '9')
		return "bzip2";
	return NULL;
}

static int kind_of(const char *packer)
{
	if (!packer)
		return D_PASS;
#ifdef HAVE_LZMA
	if (strcmp(packer, "xz") == 0)
		return D_XZ;
#endif
#ifdef HAVE_ZSTD
	if (strcmp(packer, "zstd") == 0)
		return D_ZSTD;
#endif
#ifdef HAVE_ZLIB
	if (strcmp(packer, "gzip") == 0)
		return D_GZIP;
#endif
	return -1;    /* compressed, no decompressor: the reader says so */
}

const char *decomp_available(void)
{
	return "xz: "
#ifdef HAVE_LZMA
	       "yes"
#else
	       "no"
#endif
	       ", zstd: "
#ifdef HAVE_ZSTD
	       "yes"
#else
	       "no"
#endif
	       ", gzip: "
#ifdef HAVE_ZLIB
	       "yes"
#else
	       "no"
#endif
	       ", bzip2: no";
}

static const char *kind_name(int kind)
{
	return kind == D_XZ ? "xz" : kind == D_ZSTD ? "zstd" : kind == D_GZIP ? "gzip" : "input";
}

/* Make the next compressed octets available in in_p/in_n: 0, or -errno. */
static int refill(struct decomp *d)
{
	ssize_t n;

	if (d->in_n || d->in_eof)
		return 0;
	if (d->head_pos < d->head_len) {
		d->in_p = d->head + d->head_pos;
		d->in_n = d->head_len - d->head_pos;
		d->head_pos = d->head_len;
		return 0;
	}
	if (d->map) {
		/* zlib counts in uInt: hand out at most 1 GiB at a time. */
		size_t n2 = d->map_len - d->map_pos;
		if (n2 > (1u << 30))
			n2 = 1u << 30;
		d->in_p = d->map + d->map_pos;
		d->in_n = n2;
		d->map_pos += n2;
		d->in_eof = n2 == 0;
		return 0;
	}
	do
		n = read(d->fd, d->ibuf, IBUF_SIZE);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	d->in_p = d->ibuf;
	d->in_n = (size_t)n;
	d->in_eof = n == 0;
	return 0;
}

static void consume(struct decomp *d, size_t n)
{
	d->in_p += n;
	d->in_n -= n;
	d->in_octets += n;
}

/* A decompressor error: said once on standard error (the reader only sees
 * an errno), naming the decompressor and the compressed offset. */
static int64_t corrupt(struct decomp *d, const char *what)
{
	if (!d->failed)
		fprintf(stderr, "%s: %s: %s: %s at compressed offset %" PRIu64
		        " (after %" PRIu64 " uncompressed octets)\n", progname, d->name,
		        kind_name(d->kind), what, d->in_octets, d->out_octets);
	d->failed = 1;
	return -EBADMSG;
}

static int64_t truncated(struct decomp *d)
{
	return corrupt(d, "compressed data truncated");
}

static int64_t pass_read(struct decomp *d, void *buf, size_t len)
{
	int rc = refill(d);
	size_t n;

	if (rc)
		return rc;
	n = d->in_n < len ? d->in_n : len;
	memcpy(buf, d->in_p, n);
	consume(d, n);
	return (int64_t)n;
}

#ifdef HAVE_LZMA
static int64_t xz_read(struct decomp *d, void *buf, size_t len)
{
	d->xz.next_out = buf;
	d->xz.avail_out = len;
	while (d->xz.avail_out == len) {
		int rc = refill(d);
		if (rc)
			return rc;
		d->xz.next_in = d->in_p;
		d->xz.avail_in = d->in_n;
		lzma_ret ret = lzma_code(&d->xz, d->in_eof ? LZMA_FINISH : LZMA_RUN);
		consume(d, d->in_n - d->xz.avail_in);
		if (ret == LZMA_STREAM_END) {
			d->ended = 1;
			break;
		}
		if (ret == LZMA_BUF_ERROR && d->in_eof)
			return truncated(d);
		if (ret == LZMA_MEMLIMIT_ERROR || ret == LZMA_MEM_ERROR)
			return corrupt(d, "out of memory");
		if (ret == LZMA_FORMAT_ERROR || ret == LZMA_OPTIONS_ERROR)
			return corrupt(d, "unsupported or damaged stream header");
		if (ret == LZMA_DATA_ERROR)
			return corrupt(d, "corrupt compressed data");
		if (ret != LZMA_OK && ret != LZMA_BUF_ERROR)
			return corrupt(d, "decompression failed");
	}
	return (int64_t)(len - d->xz.avail_out);
}
#endif

#ifdef HAVE_ZSTD
static int64_t zstd_read(struct decomp *d, void *buf, size_t len)
{
	ZSTD_outBuffer out = { buf, len, 0 };

	while (out.pos == 0) {
		int rc = refill(d);
		if (rc)
			return rc;
		if (d->in_eof && d->zs_hint == 0) {
			d->ended = 1;   /* every frame complete and flushed */
			break;
		}
		ZSTD_inBuffer in = { d->in_p, d->in_n, 0 };
		size_t ret = ZSTD_decompressStream(d->zs, &out, &in);
		consume(d, in.pos);
		if (ZSTD_isError(ret))
			return corrupt(d, ZSTD_getErrorName(ret));
		d->zs_hint = ret;
		if (d->in_eof && out.pos == 0)
			return truncated(d);
	}
	return (int64_t)out.pos;
}
#endif

#ifdef HAVE_ZLIB
static int64_t gzip_read(struct decomp *d, void *buf, size_t len)
{
	/* Bounded by uInt: a short read is fine for the reader. */
	uInt room = len > (1u << 30) ? (1u << 30) : (uInt)len;

	d->gz.next_out = buf;
	d->gz.avail_out = room;
	while (d->gz.avail_out == room) {
		int rc = refill(d);
		if (rc)
			return rc;
		if (d->in_eof) {
			if (!d->gz_between)
				return truncated(d);
			d->ended = 1;
			break;
		}
		if (d->gz_between) {
			/* Another gzip member follows (as gzip -d accepts). */
			inflateReset(&d->gz);
			d->gz_between = 0;
		}
		d->gz.next_in = (Bytef *)(uintptr_t)d->in_p;
		d->gz.avail_in = (uInt)d->in_n;
		int ret = inflate(&d->gz, Z_NO_FLUSH);
		consume(d, d->in_n - d->gz.avail_in);
		if (ret == Z_STREAM_END)
			d->gz_between = 1;
		else if (ret == Z_MEM_ERROR)
			return corrupt(d, "out of memory");
		else if (ret != Z_OK && ret != Z_BUF_ERROR)
			return corrupt(d, d->gz.msg ? d->gz.msg : "corrupt compressed data");
	}
	return (int64_t)(room - d->gz.avail_out);
}
#endif

static int64_t decomp_read(void *ctx, void *buf, size_t len)
{
	struct decomp *d = ctx;
	int64_t n = 0;

	if (d->failed)
		return -EBADMSG;
	if (len == 0 || d->ended)
		return 0;
	switch (d->kind) {
	case D_PASS: n = pass_read(d, buf, len); break;
#ifdef HAVE_LZMA
	case D_XZ: n = xz_read(d, buf, len); break;
#endif
#ifdef HAVE_ZSTD
	case D_ZSTD: n = zstd_read(d, buf, len); break;
#endif
#ifdef HAVE_ZLIB
	case D_GZIP: n = gzip_read(d, buf, len); break;
#endif
	default: return -EINVAL;
	}
	if (n > 0)
		d->out_octets += (uint64_t)n;
	return n;
}

/* Pass-through only: the pipe's octets after the kept head are skipped
 * without copying, as the reader does for a pipe it reads itself. */
static int64_t pass_skip(void *ctx, uint64_t len)
{
	struct decomp *d = ctx;
	uint64_t done = 0;
	char buf[65536];

	while (done < len) {
		if (d->in_n == 0 && d->head_pos == d->head_len && !d->map && !d->in_eof) {
#ifdef SPLICE_F_MOVE
			static int devnull = -2;
			if (devnull == -2)
				devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
			if (devnull >= 0) {
				uint64_t want = len - done;
				ssize_t s = splice(d->fd, NULL, devnull, NULL,
				                   want > (1u << 30) ? (1u << 30) : (size_t)want, 0);
				if (s > 0) {
					done += (uint64_t)s;
					d->in_octets += (uint64_t)s;
					d->out_octets += (uint64_t)s;
					continue;
				}
				if (s == 0)
					break;
				if (errno == EINTR)
					continue;
				devnull = -1;   /* not a pipe after all: read */
			}
#endif
		}
		uint64_t want = len - done;
		int64_t n = decomp_read(d, buf, want < sizeof buf ? (size_t)want : sizeof buf);
		if (n < 0)
			return n;
		if (n == 0)
			break;
		done += (uint64_t)n;
	}
	return (int64_t)done;
}

void decomp_free(struct decomp *d)
{
	if (!d)
		return;
#ifdef HAVE_LZMA
	if (d->kind == D_XZ)
		lzma_end(&d->xz);
#endif
#ifdef HAVE_ZSTD
	if (d->zs)
		ZSTD_freeDStream(d->zs);
#endif
#ifdef HAVE_ZLIB
	if (d->kind == D_GZIP)
		inflateEnd(&d->gz);
#endif
	if (current == d)
		current = NULL;
	free(d->ibuf);
	free(d);
}

struct decomp *decomp_new(const char *name, int fd, const void *map, size_t map_len,
                          const void *head, size_t head_len, const char *packer)
{
	int kind = kind_of(packer);
	struct decomp *d;

	if (kind < 0)
		kind = D_PASS;
	d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->kind = kind;
	d->name = name;
	d->fd = fd;
	d->map = map;
	d->map_len = map_len;
	if (head_len > sizeof d->head)
		head_len = sizeof d->head;
	if (head_len)
		memcpy(d->head, head, head_len);
	d->head_len = head_len;
	if (!map && !(d->ibuf = malloc(IBUF_SIZE)))
		goto fail;
	switch (kind) {
#ifdef HAVE_LZMA
	case D_XZ: {
		lzma_stream init = LZMA_STREAM_INIT;
		d->xz = init;
		if (lzma_stream_decoder(&d->xz, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
			goto fail;
		break;
	}
#endif
#ifdef HAVE_ZSTD
	case D_ZSTD:
		if (!(d->zs = ZSTD_createDStream()) || ZSTD_isError(ZSTD_initDStream(d->zs)))
			goto fail;
		break;
#endif
#ifdef HAVE_ZLIB
	case D_GZIP:
		if (inflateInit2(&d->gz, 16 + MAX_WBITS) != Z_OK) {
			d->kind = D_PASS;
			goto fail;
		}
		break;
#endif
	default:
		break;
	}
	if (kind != D_PASS)
		current = d;
	return d;
fail:
	decomp_free(d);
	return NULL;
}

int decomp_attach(struct decomp *d, migstream_reader *r)
{
	migstream_read_io io = { decomp_read, d->kind == D_PASS ? pass_skip : NULL, NULL };

	return migstream_reader_open_io(r, &io, sizeof io, d);
}

int64_t decomp_read_more(struct decomp *d, void *buf, size_t len)
{
	return decomp_read(d, buf, len);
}

int decomp_progress(uint64_t *compressed)
{
	if (!current)
		return 0;
	*compressed = current->in_octets;
	return 1;
}
