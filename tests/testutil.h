/*
 * Test helpers: a byte-level stream builder (independent of the library,
 * so tests can build valid and deliberately broken streams), the spec's
 * worked vectors, sources with awkward read sizes, and a diagnostic
 * collector.
 */
#ifndef MIGSTREAM_TESTUTIL_H
#define MIGSTREAM_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <migstream.h>

/* ------------------------------------------------------------ buffer */
typedef struct tbuf {
	uint8_t *data;
	size_t len, cap;
	int be;                 /* stream endianness for the tb_*se helpers */
} tbuf;

void tb_init(tbuf *b);
void tb_free(tbuf *b);
void tb_bytes(tbuf *b, const void *p, size_t n);
void tb_zero(tbuf *b, size_t n);
void tb_fill(tbuf *b, uint8_t v, size_t n);
void tb_u8(tbuf *b, uint8_t v);
void tb_be16(tbuf *b, uint16_t v);
void tb_be32(tbuf *b, uint32_t v);
void tb_be64(tbuf *b, uint64_t v);
void tb_le16(tbuf *b, uint16_t v);
void tb_le32(tbuf *b, uint32_t v);
void tb_le64(tbuf *b, uint64_t v);
/* Stream-endian (b->be) integers. */
void tb_se16(tbuf *b, uint16_t v);
void tb_se32(tbuf *b, uint32_t v);
void tb_se64(tbuf *b, uint64_t v);
/* Overwrite a stream-endian u32 at an offset (e.g. to patch a length). */
void tb_put_se32(tbuf *b, size_t off, uint32_t v);
/* Delete n octets at off / insert octets at off. */
void tb_delete(tbuf *b, size_t off, size_t n);
void tb_insert(tbuf *b, size_t off, const void *p, size_t n);

/* ------------------------------------------------------------ libxc builder */
/* Image header (BE) + domain header (SE); sets b->be from big_endian. */
void tb_image_header(tbuf *b, uint32_t version, int big_endian);
void tb_domain_header(tbuf *b, uint32_t type, uint32_t xen_major, uint32_t xen_minor);
/* Record: header, body, zero padding to 8. */
void tb_record(tbuf *b, uint32_t type, const void *body, uint32_t len);
/* Record whose header claims body_length but only the given octets follow
 * (no padding added): for framing tests. */
void tb_record_raw(tbuf *b, uint32_t type, uint32_t body_length, const void *body, size_t n);

/* PAGE_DATA: count entries (pfn | type << 60); every data-carrying entry
 * gets a page filled with fill_byte ^ (index & 0xff). */
void tb_page_data(tbuf *b, uint32_t count, const uint64_t *entries, uint8_t fill_byte);
void tb_x86_pv_info(tbuf *b, uint8_t width, uint8_t levels);
void tb_p2m_frames(tbuf *b, uint32_t start, uint32_t end, uint32_t k, const uint64_t *pfns);
void tb_tsc_info(tbuf *b, uint32_t mode, uint32_t khz, uint64_t nsec, uint32_t incarnation);
void tb_hvm_params(tbuf *b, uint32_t count, const uint64_t *index_value_pairs);
/* The 40-octet minimal HVM context of vectors.md V1, as an HVM_CONTEXT record. */
void tb_hvm_context_min(tbuf *b);
/* vCPU record: vcpu id + ctx (ctx may be NULL: zeros). */
void tb_vcpu(tbuf *b, uint32_t type, uint32_t vcpu_id, const void *ctx, uint32_t ctx_len);
void tb_empty(tbuf *b, uint32_t type);   /* END, VERIFY, CHECKPOINT, STATIC_DATA_END */

/* The worked vectors of spec/vectors.md, octet for octet. */
void tb_vector_v1(tbuf *b);   /* 4296 octets, HVM */
void tb_vector_v2(tbuf *b);   /* 21744 octets, PV 64-bit */
/* Offsets of records inside V1 and V2 (see vectors.md layout tables). */
#define V1_OFF_SDE        0x28u
#define V1_OFF_PAGE_DATA  0x30u
#define V1_OFF_TSC        0x1050u
#define V1_OFF_HVM_CTX    0x1070u
#define V1_OFF_HVM_PARAMS 0x10A0u
#define V1_OFF_END        0x10C0u
#define V1_SIZE           4296u
#define V2_OFF_PV_INFO    0x28u
#define V2_OFF_SDE        0x38u
#define V2_OFF_P2M        0x40u
#define V2_OFF_PAGE_DATA  0x58u
#define V2_OFF_TSC        0x3080u
#define V2_OFF_SHARED     0x30A0u
#define V2_OFF_BASIC      0x40A8u
#define V2_OFF_END        0x54E8u
#define V2_SIZE           21744u

/* SHA-256 of a buffer, as 64 lowercase hex digits + NUL. */
void t_sha256_hex(const void *data, size_t len, char out[65]);

/* ------------------------------------------------------------ sources */
/* How to feed a buffer to a reader. */
enum t_src {
	T_SRC_MEMORY,     /* migstream_reader_open_memory */
	T_SRC_FILE,       /* a temporary regular file, open_fd (seekable) */
	T_SRC_PIPE,       /* a pipe fed by a child process, open_fd */
	T_SRC_IO_1,       /* callbacks returning 1 octet per read */
	T_SRC_IO_7,
	T_SRC_IO_8,
	T_SRC_IO_4095,
	T_SRC_IO_4097,
	T_SRC_IO_RANDOM,  /* pseudo-random sizes 1..9000, fixed seed */
	T_SRC_COUNT,
	/* Event-loop sources, not in the loops over T_SRC_COUNT (their reads
	 * return MIGSTREAM_E_AGAIN; t_read_all() handles it with
	 * t_source_more()).  t_read_all() of a memory source also reads the
	 * stream through both and fails the test (abort, message on stderr)
	 * unless both give what a blocking pipe gives. */
	T_SRC_PUSH = T_SRC_COUNT + 1,  /* push reader fed in place, random pieces, each
	                                  in a block of its own freed at the next feed */
	T_SRC_NBPIPE                   /* a non-blocking pipe the test writes itself in
	                                  random pieces whenever the reader would block */
};
const char *t_src_name(int src);

/* Open r on a private copy of data using the given source kind.  The
 * copy and any temp file / child live until t_close_source(). */
typedef struct t_source t_source;
t_source *t_open_source(migstream_reader *r, int src, const void *data, size_t len);
void t_close_source(t_source *s);
/* After MIGSTREAM_E_AGAIN on an event-loop source: hand the reader the next
 * piece (or the end).  0, or -1 when there is nothing more to give. */
int t_source_more(t_source *s, migstream_reader *r);

/* ------------------------------------------------------------ diagnostics */
#define T_MAX_DIAGS 256
typedef struct t_diag {
	int32_t code;
	uint32_t severity;
	uint32_t layer, rec_type;
	uint64_t offset, record_index;
	char rule[24];
	char message[512];
} t_diag;

typedef struct t_diags {
	size_t n;
	t_diag d[T_MAX_DIAGS];
} t_diags;

/* migstream_diag_fn that appends to a t_diags (ctx). */
void t_collect(void *ctx, const migstream_diag *diag);
/* First diagnostic with this rule ID (and severity, or any if sev < 0). */
const t_diag *t_find(const t_diags *ds, const char *rule, int severity);
/* Number of diagnostics with this severity. */
size_t t_count(const t_diags *ds, uint32_t severity);

/* ------------------------------------------------------------ whole-stream runs */
/* Result of reading a whole stream. */
typedef struct t_result {
	int rc;               /* MIGSTREAM_EOF on success, else the first error (or the
	                         fatal one in lax mode) */
	migstream_diag err;   /* migstream_reader_error() after that error */
	char errmsg[512];
	char err_rule[24];
	uint64_t records;     /* records delivered */
	uint32_t types[4096]; /* types of the first records delivered */
	uint64_t offsets[4096];
	t_diags diags;
} t_result;

/* Read a whole stream from `src` with the given mode (and deep flag),
 * stopping at EOF or at the first error (non-lax) or the first fatal error
 * (lax).  Extra options: pairs of (key, value), terminated by key 0. */
void t_read_all(t_result *res, const void *data, size_t len, int src, int mode,
                const uint64_t *opts);

/* ------------------------------------------------------------ libxl and xl builder */
/* libxl stream header (16 octets, BE); sets b->be from options bit 0 for
 * the libxl records that follow. */
void tb_libxl_header(tbuf *b, uint32_t options);
/* xl save-file header: the 32-octet magic, byteorder (04 03 02 01, or
 * 01 02 03 04 when big_endian), the flags and optional_data_len = opt_len
 * in that order, then opt_len octets of optional data (opt may be NULL:
 * zeros). */
void tb_xl_header(tbuf *b, int big_endian, uint32_t mandatory_flags, uint32_t optional_flags,
                  const void *opt, uint32_t opt_len);
/* xl header as xl writes it: little-endian, JSON | STREAMv2, optional data
 * = config_len (strlen + 1) and the text with its NUL. */
void tb_xl_config(tbuf *b, const char *json);
/* Emulator record (libxl type 2 or 3): emulator_id, index, data. */
void tb_emulator(tbuf *b, uint32_t type, uint32_t emulator_id, uint32_t index, const void *data,
                 uint32_t len);
/* vectors.md V3 (libxl stream wrapping V1) and V4 (xl file wrapping V3). */
void tb_vector_v3(tbuf *b);
void tb_vector_v4(tbuf *b);
#define V3_OFF_LIBXC_CTX  0x10u
#define V3_OFF_IMAGE      0x18u
#define V3_OFF_XS         0x10E0u
#define V3_OFF_EC         0x1110u
#define V3_OFF_END        0x1128u
#define V3_SIZE           4400u
#define V4_OFF_LIBXL      0x5Bu
#define V4_SIZE           4491u
#define V4_CONFIG         "{\"c_info\":{\"type\":\"hvm\",\"name\":\"vm1\"}}"

#endif /* MIGSTREAM_TESTUTIL_H */
