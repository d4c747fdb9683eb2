/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * record.h: record type constants, header structs and typed accessors.
 *
 * A migstream_record is handed out by migstream_reader_next().  It is
 * owned by the reader and valid until the next call to
 * migstream_reader_next(), _close() or _free() on that reader.
 *
 * Accessors never expose wire structures.  There are three shapes:
 *   1. fixed records decode into a caller struct passed with its size
 *      (migstream_record_get_tsc_info(rec, &out, sizeof out)); the library
 *      fills min(size, sizeof its struct) octets, so structs may grow;
 *   2. arrays: migstream_record_count() plus an indexed getter;
 *   3. blobs (vCPU contexts, SHARED_INFO, HVM_CONTEXT, TOOLSTACK, unknown
 *      optional records): pointer plus length, octets exactly as on the wire.
 * Every accessor checks the record type (MIGSTREAM_E_WRONG_TYPE) and its
 * index (MIGSTREAM_E_RANGE), decodes integers in the stream's byte order and
 * never reads outside the record.
 *
 * Accessor errors are reported by the return code alone: an accessor
 * takes a const record and leaves the reader's errmsg, error and
 * diagnostic callback as they were (MIGSTREAM_E_INVAL: a NULL argument;
 * MIGSTREAM_E_WRONG_TYPE, MIGSTREAM_E_RANGE; MIGSTREAM_E_FIELD: a
 * malformed xenstore pair; MIGSTREAM_E_STATE: the record is no longer the
 * reader's current one, or its pages went to read_pages()).  The one
 * exception is migstream_record_get_page() reading the rest of a PAGE_DATA
 * from the source: a read error or truncation there is the reader's
 * failure, reported and recorded as by migstream_reader_next() (errmsg
 * set).
 */
#ifndef MIGSTREAM_RECORD_H
#define MIGSTREAM_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <migstream/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libxc record types (spec/format.md section 7). */
#define MIGSTREAM_REC_END                        0x00000000u
#define MIGSTREAM_REC_PAGE_DATA                  0x00000001u
#define MIGSTREAM_REC_X86_PV_INFO                0x00000002u
#define MIGSTREAM_REC_X86_PV_P2M_FRAMES          0x00000003u
#define MIGSTREAM_REC_X86_PV_VCPU_BASIC          0x00000004u
#define MIGSTREAM_REC_X86_PV_VCPU_EXTENDED       0x00000005u
#define MIGSTREAM_REC_X86_PV_VCPU_XSAVE          0x00000006u
#define MIGSTREAM_REC_SHARED_INFO                0x00000007u
#define MIGSTREAM_REC_X86_TSC_INFO               0x00000008u
#define MIGSTREAM_REC_HVM_CONTEXT                0x00000009u
#define MIGSTREAM_REC_HVM_PARAMS                 0x0000000Au
#define MIGSTREAM_REC_TOOLSTACK                  0x0000000Bu
#define MIGSTREAM_REC_X86_PV_VCPU_MSRS           0x0000000Cu
#define MIGSTREAM_REC_VERIFY                     0x0000000Du
#define MIGSTREAM_REC_CHECKPOINT                 0x0000000Eu
#define MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST  0x0000000Fu
#define MIGSTREAM_REC_STATIC_DATA_END            0x00000010u
#define MIGSTREAM_REC_X86_CPUID_POLICY           0x00000011u
#define MIGSTREAM_REC_X86_MSR_POLICY             0x00000012u

/* libxl record types (spec/format.md section 10.2). */
#define MIGSTREAM_LIBXL_REC_END                     0x00000000u
#define MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT           0x00000001u
#define MIGSTREAM_LIBXL_REC_EMULATOR_XENSTORE_DATA  0x00000002u
#define MIGSTREAM_LIBXL_REC_EMULATOR_CONTEXT        0x00000003u
#define MIGSTREAM_LIBXL_REC_CHECKPOINT_END          0x00000004u
#define MIGSTREAM_LIBXL_REC_CHECKPOINT_STATE        0x00000005u

/* Bit 31 of a record type: optional record. */
#define MIGSTREAM_REC_OPTIONAL                   0x80000000u

/* libxc domain types (domain header). */
#define MIGSTREAM_DOMAIN_X86_PV                  1u
#define MIGSTREAM_DOMAIN_X86_HVM                 2u

/* PAGE_DATA page types (top nibble of a pfn entry, format.md 8.2). */
#define MIGSTREAM_PAGE_NOTAB        0x0u
#define MIGSTREAM_PAGE_L1TAB        0x1u
#define MIGSTREAM_PAGE_L2TAB        0x2u
#define MIGSTREAM_PAGE_L3TAB        0x3u
#define MIGSTREAM_PAGE_L4TAB        0x4u
#define MIGSTREAM_PAGE_PINNED       0x8u   /* flag, combined with L1..L4 */
#define MIGSTREAM_PAGE_BROKEN       0xDu
#define MIGSTREAM_PAGE_XALLOC       0xEu
#define MIGSTREAM_PAGE_XTAB         0xFu

#define MIGSTREAM_PAGE_SIZE         4096u

/* Largest record body Xen accepts, and this library's default cap. */
#define MIGSTREAM_MAX_RECORD_LEN    0x08000000u

/** Opaque record, owned by the reader.  Since: 1.0 */
typedef struct migstream_record migstream_record;

/* ---------------------------------------------------------------------
 * Header structs: one field per wire field, in wire order, decoded to host
 * order.  Since: 1.0
 * ------------------------------------------------------------------- */

/** libxc image header (24 octets, always big-endian on the wire). */
typedef struct migstream_image_header {
	uint64_t marker;      /* 0xFFFFFFFFFFFFFFFF */
	uint32_t id;          /* 0x58454E46 "XENF" */
	uint32_t version;     /* 2 or 3 */
	uint16_t options;     /* bit 0: big-endian image */
	uint16_t reserved1;
	uint32_t reserved2;
} migstream_image_header;

/** libxc domain header (16 octets, stream endianness). */
typedef struct migstream_domain_header {
	uint32_t type;        /* MIGSTREAM_DOMAIN_* */
	uint16_t page_shift;  /* 12 */
	uint16_t reserved;
	uint32_t xen_major;   /* 0: legacy converter */
	uint32_t xen_minor;
} migstream_domain_header;

/** xl save-file header (48 octets).  byteorder holds the marker's four
 *  octets read as a little-endian u32: 0x01020304 for a little-endian file,
 *  0x04030201 for a big-endian one; the other words are decoded in the
 *  file's order. */
typedef struct migstream_xl_header {
	uint8_t magic[32];    /* "Xen saved domain, xl format\n \0 \r" */
	uint32_t byteorder;
	uint32_t mandatory_flags;   /* MIGSTREAM_XL_FLAG_* */
	uint32_t optional_flags;
	uint32_t optional_data_len;
} migstream_xl_header;

#define MIGSTREAM_XL_FLAG_JSON      0x1u   /* mandatory: the config is JSON */
#define MIGSTREAM_XL_FLAG_STREAMV2  0x2u   /* mandatory: a libxl v2 stream follows */
#define MIGSTREAM_XL_BYTEORDER_LE   0x01020304u
#define MIGSTREAM_XL_BYTEORDER_BE   0x04030201u

/** libxl stream header (16 octets, big-endian on the wire). */
typedef struct migstream_libxl_header {
	uint64_t ident;       /* 0x4C6962786C466D74 "LibxlFmt" */
	uint32_t version;     /* 2 */
	uint32_t options;     /* MIGSTREAM_LIBXL_OPT_* */
} migstream_libxl_header;

#define MIGSTREAM_LIBXL_OPT_BIG_ENDIAN  0x1u
#define MIGSTREAM_LIBXL_OPT_LEGACY      0x2u

/* Emulator ids (EMULATOR_* records). */
#define MIGSTREAM_EMULATOR_UNKNOWN          0u
#define MIGSTREAM_EMULATOR_QEMU_TRADITIONAL 1u
#define MIGSTREAM_EMULATOR_QEMU_UPSTREAM    2u

/* CHECKPOINT_STATE control ids. */
#define MIGSTREAM_CHECKPOINT_NEW            0u
#define MIGSTREAM_CHECKPOINT_SVM_SUSPENDED  1u
#define MIGSTREAM_CHECKPOINT_SVM_READY      2u
#define MIGSTREAM_CHECKPOINT_SVM_RESUMED    3u

/* ---------------------------------------------------------------------
 * Fixed-layout record bodies.  Since: 1.0
 * ------------------------------------------------------------------- */

/** X86_PV_INFO. */
typedef struct migstream_x86_pv_info {
	uint8_t guest_width;  /* 4 or 8 */
	uint8_t pt_levels;    /* 3 or 4 */
	uint8_t reserved[6];
} migstream_x86_pv_info;

/** X86_TSC_INFO, in stream order (not the hypervisor's order). */
typedef struct migstream_tsc_info {
	uint32_t mode;
	uint32_t khz;
	uint64_t nsec;
	uint32_t incarnation;
	uint32_t reserved;
} migstream_tsc_info;

/** One X86_CPUID_POLICY entry. */
typedef struct migstream_cpuid_leaf {
	uint32_t leaf;
	uint32_t subleaf;     /* 0xFFFFFFFF: no subleaves */
	uint32_t a, b, c, d;
} migstream_cpuid_leaf;

/** One X86_MSR_POLICY entry. */
typedef struct migstream_msr_entry {
	uint32_t idx;
	uint32_t flags;       /* must be 0 */
	uint64_t val;
} migstream_msr_entry;

/* ---------------------------------------------------------------------
 * Generic accessors.  Since: 1.0
 * ------------------------------------------------------------------- */

/** MIGSTREAM_LAYER_LIBXC, _LIBXL (or _XL). */
MIGSTREAM_API uint32_t migstream_record_layer(const migstream_record *rec);
/** Wire type, bit 31 included. */
MIGSTREAM_API uint32_t migstream_record_type(const migstream_record *rec);
/** body_length from the record header (padding excluded). */
MIGSTREAM_API uint32_t migstream_record_length(const migstream_record *rec);
/** Stream offset of the record's 8-octet header. */
MIGSTREAM_API uint64_t migstream_record_offset(const migstream_record *rec);
/** Ordinal of the record within its layer (0 = first record after the headers). */
MIGSTREAM_API uint64_t migstream_record_index(const migstream_record *rec);

/**
 * The record body as it is in memory.  For every record type except
 * PAGE_DATA this is the whole body (*len == migstream_record_length()).
 * For PAGE_DATA it is the whole body when the reader has it in memory
 * (memory sources, or after migstream_record_get_page() loaded it), and
 * otherwise just the count, reserved word and pfn array; use the page
 * accessors or migstream_reader_read_pages() for the page contents.
 * Owned by the reader; valid until the next call to
 * migstream_reader_next(), _close() or _free().
 */
MIGSTREAM_API const void *migstream_record_body(const migstream_record *rec, size_t *len);

/**
 * Static name of a record type for a layer ("PAGE_DATA", "LIBXC_CONTEXT");
 * "OPTIONAL" for bit-31 types and "UNKNOWN" for undefined ones.
 */
MIGSTREAM_API const char *migstream_record_type_name(uint32_t layer, uint32_t type);

/**
 * Number of entries of an array record: PAGE_DATA (pfn entries),
 * X86_PV_P2M_FRAMES (frames), HVM_PARAMS (parameters),
 * CHECKPOINT_DIRTY_PFN_LIST (pfns), X86_CPUID_POLICY (leaves),
 * X86_MSR_POLICY (entries), X86_PV_VCPU_MSRS (MSRs).
 */
MIGSTREAM_API int migstream_record_count(const migstream_record *rec, uint32_t *count);

/* ---------------------------------------------------------------------
 * PAGE_DATA.  Since: 1.0
 * ------------------------------------------------------------------- */

/** Number of entries whose type carries a page of data (N). */
MIGSTREAM_API int migstream_record_data_page_count(const migstream_record *rec, uint32_t *n);

/** Entry i: pfn (bits 0-51) and page type (bits 60-63). */
MIGSTREAM_API int migstream_record_get_pfn(const migstream_record *rec, uint32_t i,
                                           uint64_t *pfn, uint32_t *type);

/**
 * Entry i with a view of its page: *page points at the entry's 4096 octets,
 * or is NULL for types without data (BROKEN, XALLOC, XTAB).  From a memory
 * source this is a pointer into the caller's buffer; from other sources the
 * first call loads the record's remaining pages into the reader (bounded by
 * the record cap), so such callers usually prefer
 * migstream_reader_read_pages().  Pages already passed to
 * migstream_reader_read_pages() are not available again (MIGSTREAM_E_STATE).
 * pfn, type and page may be NULL.  The page is owned by the reader; valid
 * until the next call to migstream_reader_next(), _close() or _free().
 */
MIGSTREAM_API int migstream_record_get_page(const migstream_record *rec, uint32_t i,
                                            uint64_t *pfn, uint32_t *type,
                                            const void **page);

/** Non-zero if pages of this type carry data in the stream. */
MIGSTREAM_API int migstream_page_type_has_data(uint32_t type);
/** Static name of a page type ("NOTAB", "L4TAB|PINNED", "XTAB", "INVALID"). */
MIGSTREAM_API const char *migstream_page_type_name(uint32_t type);

/* ---------------------------------------------------------------------
 * Other libxc records.  Since: 1.0
 * ------------------------------------------------------------------- */

MIGSTREAM_API int migstream_record_get_x86_pv_info(const migstream_record *rec,
                                                   migstream_x86_pv_info *out, size_t size);

/** X86_PV_P2M_FRAMES range; the frames are entries (migstream_record_count). */
MIGSTREAM_API int migstream_record_get_p2m_range(const migstream_record *rec,
                                                 uint32_t *start_pfn, uint32_t *end_pfn);
MIGSTREAM_API int migstream_record_get_p2m_frame(const migstream_record *rec, uint32_t i,
                                                 uint64_t *pfn);

/**
 * X86_PV_VCPU_BASIC, _EXTENDED, _XSAVE, _MSRS: vCPU id, reserved word and
 * the context blob (octets as on the wire; never byte-swapped).  Any output
 * pointer may be NULL.
 */
MIGSTREAM_API int migstream_record_get_vcpu(const migstream_record *rec, uint32_t *vcpu_id,
                                            uint32_t *reserved, const void **ctx,
                                            size_t *ctx_len);
/** X86_PV_VCPU_MSRS entry i (index, reserved word, value). */
MIGSTREAM_API int migstream_record_get_vcpu_msr(const migstream_record *rec, uint32_t i,
                                                migstream_msr_entry *out, size_t size);

/**
 * Opaque blob records: SHARED_INFO, HVM_CONTEXT, TOOLSTACK and optional
 * (bit 31) records of either layer.  The octets are exactly the body.
 */
MIGSTREAM_API int migstream_record_get_blob(const migstream_record *rec,
                                            const void **data, size_t *len);

MIGSTREAM_API int migstream_record_get_tsc_info(const migstream_record *rec,
                                                migstream_tsc_info *out, size_t size);

/** HVM_PARAMS: reserved word and entry i. */
MIGSTREAM_API int migstream_record_get_hvm_params_reserved(const migstream_record *rec,
                                                           uint32_t *reserved);
MIGSTREAM_API int migstream_record_get_hvm_param(const migstream_record *rec, uint32_t i,
                                                 uint64_t *index, uint64_t *value);

/** PAGE_DATA reserved word (octets 4-7). */
MIGSTREAM_API int migstream_record_get_page_data_reserved(const migstream_record *rec,
                                                          uint32_t *reserved);

/** CHECKPOINT_DIRTY_PFN_LIST entry i. */
MIGSTREAM_API int migstream_record_get_dirty_pfn(const migstream_record *rec, uint32_t i,
                                                 uint64_t *pfn);

MIGSTREAM_API int migstream_record_get_cpuid_leaf(const migstream_record *rec, uint32_t i,
                                                  migstream_cpuid_leaf *out, size_t size);
MIGSTREAM_API int migstream_record_get_msr_entry(const migstream_record *rec, uint32_t i,
                                                 migstream_msr_entry *out, size_t size);

/* ---------------------------------------------------------------------
 * libxl records.  Since: 1.0
 * ------------------------------------------------------------------- */

/** EMULATOR_XENSTORE_DATA or EMULATOR_CONTEXT: the emulator sub-header. */
MIGSTREAM_API int migstream_record_get_emulator(const migstream_record *rec, uint32_t *emulator_id,
                                                uint32_t *index);

/**
 * EMULATOR_XENSTORE_DATA: iterate the key/value pairs.  Set *pos to 0
 * before the first call; each call gives the next pair as NUL-terminated
 * strings inside the record (owned by the reader, valid as the record is).
 * Returns 0 with a pair, MIGSTREAM_EOF after the last one, or
 * MIGSTREAM_E_FIELD if the data is not NUL-terminated pairs (LIBXL-21).
 */
MIGSTREAM_API int migstream_record_next_xenstore_pair(const migstream_record *rec, size_t *pos,
                                                      const char **key, const char **value);

/** EMULATOR_CONTEXT: the emulator's state after the sub-header (also via
 *  migstream_record_get_blob()). */
MIGSTREAM_API int migstream_record_get_emulator_context(const migstream_record *rec,
                                                        const void **data, size_t *len);

/** CHECKPOINT_STATE: the control id. */
MIGSTREAM_API int migstream_record_get_checkpoint_state(const migstream_record *rec,
                                                        uint32_t *control_id);

#ifdef __cplusplus
}
#endif

#endif /* MIGSTREAM_RECORD_H */
