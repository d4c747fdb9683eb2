/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * Test helpers (see testutil.h): a byte-level stream builder that does not
 * use the library, the worked vectors of spec/vectors.md, a small SHA-256,
 * sources with awkward read sizes, a diagnostic collector and a
 * whole-stream runner.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L   /* mkstemp, fork, waitpid */
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

/* ================================================================ buffer */

static void die(const char *what)
{
	fprintf(stderr, "testutil: %s\n", what);
	abort();
}

static void tb_reserve(tbuf *b, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (n <= b->cap - b->len)
		return;
	if (n > SIZE_MAX / 2 - b->len)
		die("buffer too large");
	cap = b->cap ? b->cap : 256;
	while (cap - b->len < n)
		cap *= 2;
	p = realloc(b->data, cap);
	if (p == NULL)
		die("out of memory");
	b->data = p;
	b->cap = cap;
}

void tb_init(tbuf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->be = 0;
}

void tb_free(tbuf *b)
{
	free(b->data);
	tb_init(b);
}

void tb_bytes(tbuf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	tb_reserve(b, n);
	if (p != NULL)
		memcpy(b->data + b->len, p, n);
	else
		memset(b->data + b->len, 0, n);
	b->len += n;
}

void tb_fill(tbuf *b, uint8_t v, size_t n)
{
	if (n == 0)
		return;
	tb_reserve(b, n);
	memset(b->data + b->len, v, n);
	b->len += n;
}

void tb_zero(tbuf *b, size_t n)
{
	tb_fill(b, 0, n);
}

void tb_u8(tbuf *b, uint8_t v)
{
	tb_bytes(b, &v, 1);
}

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void tb_be(tbuf *b, uint64_t v, unsigned n)
{
	uint8_t tmp[8];

	put_be(tmp, v, n);
	tb_bytes(b, tmp, n);
}

static void tb_le(tbuf *b, uint64_t v, unsigned n)
{
	uint8_t tmp[8];

	put_le(tmp, v, n);
	tb_bytes(b, tmp, n);
}

void tb_be16(tbuf *b, uint16_t v) { tb_be(b, v, 2); }
void tb_be32(tbuf *b, uint32_t v) { tb_be(b, v, 4); }
void tb_be64(tbuf *b, uint64_t v) { tb_be(b, v, 8); }
void tb_le16(tbuf *b, uint16_t v) { tb_le(b, v, 2); }
void tb_le32(tbuf *b, uint32_t v) { tb_le(b, v, 4); }
void tb_le64(tbuf *b, uint64_t v) { tb_le(b, v, 8); }

void tb_se16(tbuf *b, uint16_t v)
{
	if (b->be)
		tb_be16(b, v);
	else
		tb_le16(b, v);
}

void tb_se32(tbuf *b, uint32_t v)
{
	if (b->be)
		tb_be32(b, v);
	else
		tb_le32(b, v);
}

void tb_se64(tbuf *b, uint64_t v)
{
	if (b->be)
		tb_be64(b, v);
	else
		tb_le64(b, v);
}

void tb_put_se32(tbuf *b, size_t off, uint32_t v)
{
	if (off > b->len || b->len - off < 4)
		die("tb_put_se32 outside the buffer");
	if (b->be)
		put_be(b->data + off, v, 4);
	else
		put_le(b->data + off, v, 4);
}

void tb_delete(tbuf *b, size_t off, size_t n)
{
	if (off > b->len || b->len - off < n)
		die("tb_delete outside the buffer");
	memmove(b->data + off, b->data + off + n, b->len - off - n);
	b->len -= n;
}

void tb_insert(tbuf *b, size_t off, const void *p, size_t n)
{
	if (off > b->len)
		die("tb_insert outside the buffer");
	if (n == 0)
		return;
	tb_reserve(b, n);
	memmove(b->data + off + n, b->data + off, b->len - off);
	if (p != NULL)
		memcpy(b->data + off, p, n);
	else
		memset(b->data + off, 0, n);
	b->len += n;
}

/* ================================================================ libxc builder */

/* Zero padding after a body of len octets (format.md section 6). */
static void tb_pad(tbuf *b, uint64_t len)
{
	tb_zero(b, (size_t)((8 - len % 8) % 8));
}

static void tb_rec_header(tbuf *b, uint32_t type, uint32_t len)
{
	tb_se32(b, type);
	tb_se32(b, len);
}

void tb_image_header(tbuf *b, uint32_t version, int big_endian)
{
	tb_be64(b, UINT64_MAX);
	tb_be32(b, 0x58454E46u);        /* "XENF" */
	tb_be32(b, version);
	tb_be16(b, big_endian ? 1 : 0); /* options */
	tb_be16(b, 0);
	tb_be32(b, 0);
	b->be = big_endian ? 1 : 0;
}

void tb_domain_header(tbuf *b, uint32_t type, uint32_t xen_major, uint32_t xen_minor)
{
	tb_se32(b, type);
	tb_se16(b, 12);                 /* page_shift */
	tb_se16(b, 0);
	tb_se32(b, xen_major);
	tb_se32(b, xen_minor);
}

void tb_record(tbuf *b, uint32_t type, const void *body, uint32_t len)
{
	tb_rec_header(b, type, len);
	tb_bytes(b, body, len);
	tb_pad(b, len);
}

void tb_record_raw(tbuf *b, uint32_t type, uint32_t body_length, const void *body, size_t n)
{
	tb_rec_header(b, type, body_length);
	tb_bytes(b, body, n);
}

static int type_has_data(uint32_t t)
{
	return t <= 0x4u || (t >= 0x9u && t <= 0xCu);
}

void tb_page_data(tbuf *b, uint32_t count, const uint64_t *entries, uint8_t fill_byte)
{
	uint64_t len;
	uint32_t i, n = 0;

	for (i = 0; i < count; i++)
		if (type_has_data((uint32_t)(entries[i] >> 60)))
			n++;
	len = 8 + 8 * (uint64_t)count + 4096 * (uint64_t)n;
	if (len > UINT32_MAX)
		die("tb_page_data: record too long");
	tb_rec_header(b, 0x01, (uint32_t)len);
	tb_se32(b, count);
	tb_se32(b, 0);
	for (i = 0; i < count; i++)
		tb_se64(b, entries[i]);
	for (i = 0; i < count; i++)
		if (type_has_data((uint32_t)(entries[i] >> 60)))
			tb_fill(b, (uint8_t)(fill_byte ^ (i & 0xffu)), 4096);
	tb_pad(b, len);
}

void tb_x86_pv_info(tbuf *b, uint8_t width, uint8_t levels)
{
	tb_rec_header(b, 0x02, 8);
	tb_u8(b, width);
	tb_u8(b, levels);
	tb_zero(b, 6);
}

void tb_p2m_frames(tbuf *b, uint32_t start, uint32_t end, uint32_t k, const uint64_t *pfns)
{
	uint32_t i;
	uint64_t len = 8 + 8 * (uint64_t)k;

	if (len > UINT32_MAX)
		die("tb_p2m_frames: record too long");
	tb_rec_header(b, 0x03, (uint32_t)len);
	tb_se32(b, start);
	tb_se32(b, end);
	for (i = 0; i < k; i++)
		tb_se64(b, pfns != NULL ? pfns[i] : 0);
}

void tb_tsc_info(tbuf *b, uint32_t mode, uint32_t khz, uint64_t nsec, uint32_t incarnation)
{
	tb_rec_header(b, 0x08, 24);
	tb_se32(b, mode);
	tb_se32(b, khz);
	tb_se64(b, nsec);
	tb_se32(b, incarnation);
	tb_se32(b, 0);
}

void tb_hvm_params(tbuf *b, uint32_t count, const uint64_t *index_value_pairs)
{
	uint32_t i;
	uint64_t len = 8 + 16 * (uint64_t)count;

	if (len > UINT32_MAX)
		die("tb_hvm_params: record too long");
	tb_rec_header(b, 0x0A, (uint32_t)len);
	tb_se32(b, count);
	tb_se32(b, 0);
	for (i = 0; i < count; i++) {
		tb_se64(b, index_value_pairs[2 * i]);
		tb_se64(b, index_value_pairs[2 * i + 1]);
	}
}

/* HVM context blob of vectors.md V1: HEADER entry + END entry.  An x86
 * blob, always little-endian whatever the stream's byte order. */
static const uint8_t hvm_context_min[40] = {
	0x01, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00, /* desc HEADER, len 24 */
	0x86, 0x12, 0x38, 0x54, 0x01, 0x00, 0x00, 0x00, /* magic, version 1 */
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* changeset */
	0xea, 0x06, 0x09, 0x00, 0x80, 0x84, 0x1e, 0x00, /* cpuid, gtsc_khz */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* desc END */
};

void tb_hvm_context_min(tbuf *b)
{
	tb_record(b, 0x09, hvm_context_min, sizeof hvm_context_min);
}

void tb_vcpu(tbuf *b, uint32_t type, uint32_t vcpu_id, const void *ctx, uint32_t ctx_len)
{
	uint64_t len = 8 + (uint64_t)ctx_len;

	if (len > UINT32_MAX)
		die("tb_vcpu: record too long");
	tb_rec_header(b, type, (uint32_t)len);
	tb_se32(b, vcpu_id);
	tb_se32(b, 0);
	tb_bytes(b, ctx, ctx_len);
	tb_pad(b, len);
}

void tb_empty(tbuf *b, uint32_t type)
{
	tb_rec_header(b, type, 0);
}

/* ================================================================ vectors */

void tb_vector_v1(tbuf *b)
{
	static const uint64_t pfns[2] = {
		0x00000000000FEFFCull,          /* NOTAB, pfn 0xfeffc: data */
		0xF000000000000001ull,          /* XTAB, pfn 1: no data */
	};
	static const uint64_t params[2] = { 1, 0xfeffc };

	tb_image_header(b, 3, 0);
	tb_domain_header(b, 2, 4, 20);
	tb_empty(b, 0x10);                       /* STATIC_DATA_END */
	tb_page_data(b, 2, pfns, 0x00);          /* page 0 filled with 0 ^ 0 */
	tb_tsc_info(b, 0, 2000000, 312500000, 1);
	tb_hvm_context_min(b);
	tb_hvm_params(b, 1, params);
	tb_empty(b, 0x00);                       /* END */
}

void tb_vector_v2(tbuf *b)
{
	static const uint64_t pfns[3] = {
		0x0000000000000000ull,          /* NOTAB pfn 0: p2m frame */
		0xC000000000000001ull,          /* L4TAB|pinned pfn 1 */
		0x0000000000000002ull,          /* NOTAB pfn 2: start_info */
	};
	static const uint64_t p2m[1] = { 0 };
	uint8_t *ctx;
	uint32_t i;

	tb_image_header(b, 3, 0);
	tb_domain_header(b, 1, 4, 20);
	tb_x86_pv_info(b, 8, 4);
	tb_empty(b, 0x10);                       /* STATIC_DATA_END */
	tb_p2m_frames(b, 0, 2, 1, p2m);
	/* PAGE_DATA with three all-zero pages (tb_page_data would vary the
	 * fill per entry). */
	tb_rec_header(b, 0x01, 8 + 3 * 8 + 3 * 4096);
	tb_se32(b, 3);
	tb_se32(b, 0);
	for (i = 0; i < 3; i++)
		tb_se64(b, pfns[i]);
	tb_zero(b, 3 * 4096);
	tb_tsc_info(b, 0, 2000000, 312500000, 1);
	tb_record(b, 0x07, NULL, 4096);          /* SHARED_INFO, zeros */
	ctx = calloc(1, 5168);
	if (ctx == NULL)
		die("out of memory");
	put_le(ctx + 616, 2, 8);                 /* user_regs.rdx: start_info pfn 2 */
	put_le(ctx + 5008, 0x1000, 8);           /* ctrlreg[3]: pfn 1 */
	tb_vcpu(b, 0x04, 0, ctx, 5168);          /* X86_PV_VCPU_BASIC */
	free(ctx);
	tb_empty(b, 0x00);                       /* END */
}

/* ================================================================ SHA-256 */

typedef struct sha256_ctx {
	uint32_t h[8];
	uint8_t buf[64];
	size_t nbuf;
	uint64_t total;
} sha256_ctx;

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror32(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256_block(sha256_ctx *c, const uint8_t *p)
{
	uint32_t w[64], a, b, d, e, f, g, h, cc, t1, t2;
	unsigned i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (i = 16; i < 64; i++) {
		uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = c->h[0]; b = c->h[1]; cc = c->h[2]; d = c->h[3];
	e = c->h[4]; f = c->h[5]; g = c->h[6]; h = c->h[7];
	for (i = 0; i < 64; i++) {
		t1 = h + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) + ((e & f) ^ (~e & g)) +
		     sha256_k[i] + w[i];
		t2 = (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));
		h = g; g = f; f = e; e = d + t1;
		d = cc; cc = b; b = a; a = t1 + t2;
	}
	c->h[0] += a; c->h[1] += b; c->h[2] += cc; c->h[3] += d;
	c->h[4] += e; c->h[5] += f; c->h[6] += g; c->h[7] += h;
}

static void sha256_init(sha256_ctx *c)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(c->h, iv, sizeof iv);
	c->nbuf = 0;
	c->total = 0;
}

static void sha256_update(sha256_ctx *c, const uint8_t *p, size_t n)
{
	c->total += n;
	while (n > 0) {
		size_t k = 64 - c->nbuf;

		if (k > n)
			k = n;
		memcpy(c->buf + c->nbuf, p, k);
		c->nbuf += k;
		p += k;
		n -= k;
		if (c->nbuf == 64) {
			sha256_block(c, c->buf);
			c->nbuf = 0;
		}
	}
}

static void sha256_final(sha256_ctx *c, uint8_t out[32])
{
	uint64_t bits = c->total * 8;
	uint8_t pad = 0x80, zero = 0, len[8];
	unsigned i;

	sha256_update(c, &pad, 1);
	while (c->nbuf != 56)
		sha256_update(c, &zero, 1);
	put_be(len, bits, 8);
	sha256_update(c, len, 8);
	for (i = 0; i < 8; i++)
		put_be(out + 4 * i, c->h[i], 4);
}

void t_sha256_hex(const void *data, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	sha256_ctx c;
	uint8_t d[32];
	unsigned i;

	sha256_init(&c);
	sha256_update(&c, data, len);
	sha256_final(&c, d);
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 0xf];
	}
	out[64] = '\0';
}

/* ================================================================ sources */

struct t_source {
	int kind;
	uint8_t *data;          /* private copy */
	size_t len, pos;
	int fd;                 /* file or pipe read end, -1 if none */
	pid_t pid;              /* pipe writer, -1 if none */
	size_t chunk;           /* IO_*: octets per read (0: random) */
	uint32_t rng;           /* IO_RANDOM: xorshift32 state */
	int open_rc;            /* result of the migstream_reader_open_* call */
	int wfd;                /* NBPIPE: the write end, -1 once closed */
	uint8_t *block;         /* PUSH: the block of the last piece fed */
	size_t block_n;
	int ended;              /* PUSH, NBPIPE: the end was given */
};

const char *t_src_name(int src)
{
	switch (src) {
	case T_SRC_MEMORY: return "memory";
	case T_SRC_FILE: return "file";
	case T_SRC_PIPE: return "pipe";
	case T_SRC_IO_1: return "io-1";
	case T_SRC_IO_7: return "io-7";
	case T_SRC_IO_8: return "io-8";
	case T_SRC_IO_4095: return "io-4095";
	case T_SRC_IO_4097: return "io-4097";
	case T_SRC_IO_RANDOM: return "io-random";
	case T_SRC_PUSH: return "push-in-place";
	case T_SRC_NBPIPE: return "non-blocking-pipe";
	default: return "?";
	}
}

static uint32_t xorshift32(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static int64_t src_read(void *ctx, void *buf, size_t len)
{
	t_source *s = ctx;
	size_t n = s->len - s->pos;

	if (n > len)
		n = len;
	if (s->chunk != 0) {
		if (n > s->chunk)
			n = s->chunk;
	} else {
		size_t r = 1 + xorshift32(&s->rng) % 9000;

		if (n > r)
			n = r;
	}
	if (n > 0)
		memcpy(buf, s->data + s->pos, n);
	s->pos += n;
	return (int64_t)n;
}

static int64_t src_skip(void *ctx, uint64_t len)
{
	t_source *s = ctx;
	uint64_t n = s->len - s->pos;

	if (n > len)
		n = len;
	s->pos += (size_t)n;
	return (int64_t)n;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int open_temp_file(const uint8_t *data, size_t len)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	if (snprintf(path, sizeof path, "%s/migstream-test-XXXXXX", dir) >= (int)sizeof path)
		return -1;
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	unlink(path);
	if (write_all(fd, data, len) < 0 || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int open_pipe_writer(t_source *s)
{
	int p[2];
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		/* Child: feed the pipe, then leave without running any of the
		 * parent's exit handlers (the test framework's included). */
		signal(SIGPIPE, SIG_IGN);
		close(p[0]);
		(void)write_all(p[1], s->data, s->len);
		close(p[1]);
		_exit(0);
	}
	close(p[1]);
	s->fd = p[0];
	s->pid = pid;
	return 0;
}

/*
 * Returns NULL only if the source itself could not be set up (memory, temp
 * file, pipe or fork); a failing migstream_reader_open_* call still returns
 * the source (the reader then reports the error on its next call).
 */
t_source *t_open_source(migstream_reader *r, int src, const void *data, size_t len)
{
	static const migstream_read_io io_noskip = { src_read, NULL, NULL };
	static const migstream_read_io io_skip = { src_read, src_skip, NULL };
	const migstream_read_io *io = NULL;
	t_source *s;

	s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	s->kind = src;
	s->fd = -1;
	s->wfd = -1;
	s->pid = -1;
	s->len = len;
	s->data = malloc(len ? len : 1);
	if (s->data == NULL) {
		free(s);
		return NULL;
	}
	if (len > 0)
		memcpy(s->data, data, len);

	switch (src) {
	case T_SRC_MEMORY:
		s->open_rc = migstream_reader_open_memory(r, s->data, s->len);
		return s;
	case T_SRC_FILE:
		s->fd = open_temp_file(s->data, s->len);
		if (s->fd < 0)
			break;
		(void)migstream_reader_set_option(r, MIGSTREAM_OPT_CLOSE_FD, 0);
		s->open_rc = migstream_reader_open_fd(r, s->fd);
		return s;
	case T_SRC_PIPE:
		if (open_pipe_writer(s) < 0)
			break;
		(void)migstream_reader_set_option(r, MIGSTREAM_OPT_CLOSE_FD, 0);
		s->open_rc = migstream_reader_open_fd(r, s->fd);
		return s;
	case T_SRC_PUSH:
		s->rng = 0x9E3779B9u ^ (uint32_t)len;
		(void)migstream_reader_set_option(r, MIGSTREAM_OPT_FEED_IN_PLACE, 1);
		s->open_rc = migstream_reader_open_push(r);
		return s;
	case T_SRC_NBPIPE: {
		int p[2];
		if (pipe(p) < 0)
			break;
		if (fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK) < 0 ||
		    fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK) < 0) {
			close(p[0]);
			close(p[1]);
			break;
		}
		s->fd = p[0];
		s->wfd = p[1];
		s->rng = 0x85EBCA6Bu ^ (uint32_t)len;
		(void)migstream_reader_set_option(r, MIGSTREAM_OPT_CLOSE_FD, 0);
		s->open_rc = migstream_reader_open_fd(r, s->fd);
		return s;
	}
	case T_SRC_IO_1: s->chunk = 1; io = &io_noskip; break;
	case T_SRC_IO_7: s->chunk = 7; io = &io_noskip; break;
	case T_SRC_IO_8: s->chunk = 8; io = &io_skip; break;
	case T_SRC_IO_4095: s->chunk = 4095; io = &io_skip; break;
	case T_SRC_IO_4097: s->chunk = 4097; io = &io_skip; break;
	case T_SRC_IO_RANDOM: s->chunk = 0; s->rng = 0x2545F491u; io = &io_noskip; break;
	default:
		break;
	}
	if (io != NULL) {
		s->open_rc = migstream_reader_open_io(r, io, sizeof *io, s);
		return s;
	}
	t_close_source(s);
	return NULL;
}

static size_t next_piece(t_source *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 17;
	s->rng ^= s->rng << 5;
	size_t n = 1 + s->rng % 9000;
	return n < s->len - s->pos ? n : s->len - s->pos;
}

int t_source_more(t_source *s, migstream_reader *r)
{
	if (s->ended)
		return -1;
	if (s->pos == s->len) {
		s->ended = 1;
		if (s->kind == T_SRC_PUSH)
			return migstream_reader_feed_end(r) == 0 ? 0 : -1;
		close(s->wfd);
		s->wfd = -1;
		return 0;
	}
	size_t n = next_piece(s);
	if (s->kind == T_SRC_PUSH) {
		/* A block of its own with a guard either side, so that no
		 * two pieces follow each other in memory; the last one is
		 * overwritten and freed once this feed has returned. */
		uint8_t *b = malloc(n + 64), *old = s->block;
		size_t took = 0, old_n = s->block_n;
		if (!b)
			return -1;
		memset(b, 0x5a, n + 64);
		memcpy(b + 32, s->data + s->pos, n);
		s->block = b;
		s->block_n = n + 64;
		int rc = migstream_reader_feed(r, b + 32, n, &took);
		if (old) {
			memset(old, 0xa5, old_n);
			free(old);
		}
		if (rc != 0 || took != n)
			return -1;
		s->pos += n;
		return 0;
	}
	ssize_t w = write(s->wfd, s->data + s->pos, n);
	if (w <= 0)
		return -1;
	s->pos += (size_t)w;
	return 0;
}

void t_close_source(t_source *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	if (s->wfd >= 0)
		close(s->wfd);
	free(s->block);
	if (s->pid > 0) {
		int status;

		while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	free(s->data);
	free(s);
}

/* ================================================================ diagnostics */

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n;

	if (src == NULL)
		src = "";
	n = strlen(src);
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Append src to the NUL-terminated dst, truncating. */
static void append_str(char *dst, size_t size, const char *src)
{
	size_t l = strlen(dst);

	if (l + 1 < size)
		copy_str(dst + l, size - l, src);
}

void t_collect(void *ctx, const migstream_diag *diag)
{
	t_diags *ds = ctx;
	t_diag *d;

	if (ds == NULL || diag == NULL || ds->n >= T_MAX_DIAGS)
		return;
	d = &ds->d[ds->n++];
	d->code = diag->code;
	d->severity = diag->severity;
	d->layer = diag->layer;
	d->rec_type = diag->rec_type;
	d->offset = diag->offset;
	d->record_index = diag->record_index;
	copy_str(d->rule, sizeof d->rule, diag->rule);
	copy_str(d->message, sizeof d->message, diag->message);
}

const t_diag *t_find(const t_diags *ds, const char *rule, int severity)
{
	size_t i;

	for (i = 0; i < ds->n; i++) {
		if (strcmp(ds->d[i].rule, rule) != 0)
			continue;
		if (severity < 0 || ds->d[i].severity == (uint32_t)severity)
			return &ds->d[i];
	}
	return NULL;
}

size_t t_count(const t_diags *ds, uint32_t severity)
{
	size_t i, n = 0;

	for (i = 0; i < ds->n; i++)
		if (ds->d[i].severity == severity)
			n++;
	return n;
}

/* ================================================================ whole-stream runs */

static void capture_error(t_result *res, const migstream_reader *r)
{
	memset(&res->err, 0, sizeof res->err);
	(void)migstream_reader_error(r, &res->err, sizeof res->err);
	copy_str(res->errmsg, sizeof res->errmsg, migstream_reader_errmsg(r));
	copy_str(res->err_rule, sizeof res->err_rule, res->err.rule);
	/* The strings belong to the reader; keep only our copies. */
	res->err.rule = NULL;
	res->err.message = NULL;
}

/* Upper bound on next() calls, so a reader that never ends cannot hang a
 * test (the largest test streams have a few thousand records). */
#define T_MAX_CALLS 1000000u

static void read_one(t_result *res, const void *data, size_t len, int src, int mode,
                     const uint64_t *opts)
{
	migstream_reader *r;
	t_source *s;
	int first = 0, fatal = 0;
	unsigned long calls;

	memset(res, 0, sizeof *res);
	r = migstream_reader_new();
	if (r == NULL) {
		res->rc = MIGSTREAM_E_NOMEM;
		return;
	}
	(void)migstream_reader_set_option(r, MIGSTREAM_OPT_MODE, (uint64_t)mode);
	if (opts != NULL) {
		size_t i;

		for (i = 0; opts[i] != 0; i += 2)
			(void)migstream_reader_set_option(r, (int)opts[i], opts[i + 1]);
	}
	(void)migstream_reader_set_diag_handler(r, t_collect, &res->diags);

	s = t_open_source(r, src, data, len);
	if (s == NULL) {
		res->rc = MIGSTREAM_E_IO;
		copy_str(res->errmsg, sizeof res->errmsg, "test source could not be set up");
		migstream_reader_free(r);
		return;
	}
	if (s->open_rc < 0) {
		first = s->open_rc;
		capture_error(res, r);
		if (mode != MIGSTREAM_MODE_LAX || migstream_error_is_fatal(first))
			goto done;
	}

	for (calls = 0; calls < T_MAX_CALLS; calls++) {
		const migstream_record *rec = NULL;
		int rc = migstream_reader_next(r, &rec);

		if (rc == MIGSTREAM_E_AGAIN && (src == T_SRC_PUSH || src == T_SRC_NBPIPE) &&
		    t_source_more(s, r) == 0)
			continue;
		if (rc == 0) {
			if (rec != NULL && res->records < 4096) {
				res->types[res->records] = migstream_record_type(rec);
				res->offsets[res->records] = migstream_record_offset(rec);
			}
			res->records++;
			continue;
		}
		if (rc == MIGSTREAM_EOF)
			break;
		if (first == 0) {
			first = rc;
			capture_error(res, r);
		}
		if (mode != MIGSTREAM_MODE_LAX)
			break;
		if (migstream_error_is_fatal(rc)) {
			fatal = rc;
			capture_error(res, r);
			break;
		}
	}
	if (calls == T_MAX_CALLS && first == 0) {
		first = MIGSTREAM_E_STATE;
		copy_str(res->errmsg, sizeof res->errmsg, "reader never reached EOF");
	}

	/* Lax mode delivers records with non-fatal errors and reports the
	 * errors only through the diagnostic callback: the first of those is
	 * the run's error. */
	if (mode == MIGSTREAM_MODE_LAX && first == 0) {
		size_t i;

		for (i = 0; i < res->diags.n; i++) {
			const t_diag *d = &res->diags.d[i];

			if (d->severity != MIGSTREAM_SEV_ERROR || d->code >= 0)
				continue;
			first = d->code;
			memset(&res->err, 0, sizeof res->err);
			res->err.code = d->code;
			res->err.severity = d->severity;
			res->err.layer = d->layer;
			res->err.rec_type = d->rec_type;
			res->err.offset = d->offset;
			res->err.record_index = d->record_index;
			copy_str(res->err_rule, sizeof res->err_rule, d->rule);
			/* "RULE: message", as migstream_reader_errmsg() words it. */
			copy_str(res->errmsg, sizeof res->errmsg, d->rule);
			append_str(res->errmsg, sizeof res->errmsg, ": ");
			append_str(res->errmsg, sizeof res->errmsg, d->message);
			break;
		}
	}

done:
	if (fatal != 0)
		res->rc = fatal;
	else if (first != 0)
		res->rc = first;
	else {
		res->rc = MIGSTREAM_EOF;
		capture_error(res, r);
	}
	migstream_reader_free(r);
	t_close_source(s);
}

/* The same outcome: status, records, the error, every finding. */
static int same_result(const t_result *a, const t_result *b, char *why, size_t n)
{
	if (a->rc != b->rc) {
		snprintf(why, n, "status %d, not %d (%s)", b->rc, a->rc, b->errmsg);
		return 0;
	}
	if (a->records != b->records) {
		snprintf(why, n, "%llu records, not %llu", (unsigned long long)b->records,
		         (unsigned long long)a->records);
		return 0;
	}
	for (uint64_t i = 0; i < a->records && i < 4096; i++)
		if (a->types[i] != b->types[i] || a->offsets[i] != b->offsets[i]) {
			snprintf(why, n, "record %llu differs", (unsigned long long)i);
			return 0;
		}
	if (a->rc != MIGSTREAM_EOF && (strcmp(a->err_rule, b->err_rule) != 0 || a->err.offset != b->err.offset ||
	                               strcmp(a->errmsg, b->errmsg) != 0)) {
		snprintf(why, n, "error \"%s\", not \"%s\"", b->errmsg, a->errmsg);
		return 0;
	}
	if (a->diags.n != b->diags.n) {
		snprintf(why, n, "%zu findings, not %zu", b->diags.n, a->diags.n);
		return 0;
	}
	for (size_t i = 0; i < a->diags.n; i++) {
		const t_diag *x = &a->diags.d[i], *y = &b->diags.d[i];
		if (x->code != y->code || x->severity != y->severity || x->offset != y->offset ||
		    x->record_index != y->record_index || strcmp(x->rule, y->rule) != 0 ||
		    strcmp(x->message, y->message) != 0) {
			snprintf(why, n, "finding %zu is \"%s: %s\", not \"%s: %s\"", i, y->rule, y->message,
			         x->rule, x->message);
			return 0;
		}
	}
	return 1;
}

void t_read_all(t_result *res, const void *data, size_t len, int src, int mode,
                const uint64_t *opts)
{
	read_one(res, data, len, src, mode, opts);
	if (src != T_SRC_MEMORY)
		return;
	/* Every whole-stream read of a test also goes through a push reader
	 * fed in place and a non-blocking pipe, which must give what a
	 * blocking pipe gives (the reader reads them unit by unit). */
	t_result *want = malloc(sizeof *want), *got = malloc(sizeof *got);
	static const int evsrc[] = { T_SRC_PUSH, T_SRC_NBPIPE };
	char why[1200];
	if (!want || !got)
		die("malloc");
	read_one(want, data, len, T_SRC_PIPE, mode, opts);
	for (size_t i = 0; i < sizeof evsrc / sizeof evsrc[0]; i++) {
		read_one(got, data, len, evsrc[i], mode, opts);
		if (!same_result(want, got, why, sizeof why)) {
			fprintf(stderr, "t_read_all: %s differs from a blocking pipe (%zu octets, mode %d): %s\n",
			        t_src_name(evsrc[i]), len, mode, why);
			abort();
		}
	}
	free(want);
	free(got);
}

/* ================================================================ libxl and xl builder */

static const uint8_t tb_xl_magic[32] = {
	0x58, 0x65, 0x6e, 0x20, 0x73, 0x61, 0x76, 0x65, 0x64, 0x20, 0x64, 0x6f,
	0x6d, 0x61, 0x69, 0x6e, 0x2c, 0x20, 0x78, 0x6c, 0x20, 0x66, 0x6f, 0x72,
	0x6d, 0x61, 0x74, 0x0a, 0x20, 0x00, 0x20, 0x0d,
};

void tb_libxl_header(tbuf *b, uint32_t options)
{
	tb_be64(b, 0x4C6962786C466D74ull);      /* "LibxlFmt" */
	tb_be32(b, 2);
	tb_be32(b, options);
	b->be = (options & 1u) ? 1 : 0;
}

void tb_xl_header(tbuf *b, int big_endian, uint32_t mandatory_flags, uint32_t optional_flags,
                  const void *opt, uint32_t opt_len)
{
	tb_bytes(b, tb_xl_magic, sizeof tb_xl_magic);
	if (big_endian) {
		tb_be32(b, 0x01020304u);
		tb_be32(b, mandatory_flags);
		tb_be32(b, optional_flags);
		tb_be32(b, opt_len);
	} else {
		tb_le32(b, 0x01020304u);
		tb_le32(b, mandatory_flags);
		tb_le32(b, optional_flags);
		tb_le32(b, opt_len);
	}
	if (opt != NULL)
		tb_bytes(b, opt, opt_len);
	else
		tb_zero(b, opt_len);
}

void tb_xl_config(tbuf *b, const char *json)
{
	uint32_t n = (uint32_t)strlen(json) + 1;

	tb_xl_header(b, 0, 3, 0, NULL, 0);
	/* Patch optional_data_len, then append config_len and the text. */
	put_le(b->data + b->len - 4, 4 + (uint64_t)n, 4);
	tb_le32(b, n);
	tb_bytes(b, json, n);
}

void tb_emulator(tbuf *b, uint32_t type, uint32_t emulator_id, uint32_t index, const void *data,
                 uint32_t len)
{
	uint64_t blen = 8 + (uint64_t)len;

	if (blen > UINT32_MAX)
		die("tb_emulator: record too long");
	tb_rec_header(b, type, (uint32_t)blen);
	tb_se32(b, emulator_id);
	tb_se32(b, index);
	tb_bytes(b, data, len);
	tb_pad(b, blen);
}

void tb_vector_v3(tbuf *b)
{
	static const char kv[] = "physmap/f0000000/size\0" "800000";   /* 29 octets with the NULs */
	static const uint8_t blob[8] = { 0x51, 0x45, 0x56, 0x4d, 0x00, 0x00, 0x00, 0x03 };

	tb_libxl_header(b, 0);
	tb_empty(b, 0x01);                       /* LIBXC_CONTEXT */
	tb_vector_v1(b);
	b->be = 0;
	tb_emulator(b, 0x02, 2, 0, kv, sizeof kv);
	tb_emulator(b, 0x03, 2, 0, blob, sizeof blob);
	tb_empty(b, 0x00);                       /* libxl END */
}

void tb_vector_v4(tbuf *b)
{
	tb_xl_config(b, V4_CONFIG);
	tb_vector_v3(b);
}
