/*
 * rules_libxc.h: the rules of the libxc layer (rules_libxc.c) and their state.
 */
#ifndef MIGSTREAM_RULES_LIBXC_H
#define MIGSTREAM_RULES_LIBXC_H

#ifndef MIGSTREAM_BUILDING
#error "rules_libxc.h is private to libmigstream"
#endif

#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "pfnmap.h"

struct ms_vcpu_basic {             /* fields of the last BASIC per vCPU (PV-29..31) */
	uint32_t vcpu;
	uint64_t rdx, gdt_ents, cr1, cr3;
	uint64_t gdt_frames[16];
	uint64_t offset, index;        /* of the record */
};

struct ms_start_info {             /* candidate start_info pages seen (PV-29) */
	uint64_t pfn, store, console;
};
#define MS_START_INFO_SLOTS 16

#define MS_VCPU_TRACK 8192u         /* vCPU ids tracked (hypervisor ceiling) */

struct ms_p2m_frame { uint64_t index, pfn, seq; };
#define MS_FRAMES_MAX (1u << 20)        /* p2m frames kept: guests up to 2 TiB (64-bit) */

struct ms_libxc {
	/* Knowledge and options. */
	int deep;
	int channel;
	int kind;                     /* MIGSTREAM_KIND_* as declared */
	int guest_type;               /* MIGSTREAM_GUEST_* known to the caller */
	int guest_type_from_config;   /* ... or learnt from the xl config (XL-14) */
	uint32_t vcpus;               /* 0 = unknown */
	uint64_t p2m_size;            /* 0 = unknown */

	/* Headers. */
	int be;
	uint32_t version;
	uint32_t dtype;               /* 1, 2, or other (then generic checks only) */
	uint32_t xen_major, xen_minor;

	/* Sequence state. */
	int static_end;               /* 0 none, 1 explicit, 2 inferred (v2) */
	int pv_info;                  /* X86_PV_INFO seen */
	uint8_t width, levels;
	uint32_t fpp;
	int have_p2m;
	uint64_t max_pfn;
	int seen_page_data;
	int seen_vcpu;
	int vcpu0_basic;              /* X86_PV_VCPU_BASIC for vCPU 0 seen */
	int seen_shared_info;
	int seen_tsc;
	int seen_hvm_context;         /* in this image */
	int seen_cpuid, seen_msr;     /* in this image */
	int verify_count;
	int checkpoints;              /* CHECKPOINT records seen */
	uint64_t since_checkpoint;    /* records after the last CHECKPOINT */
	int ended;                    /* END seen */

	/* Per segment (plain image or checkpoint segment). */
	int seg_hvm_context, seg_tsc;
	uint8_t *seg_vcpu_seen;       /* MS_VCPU_TRACK x 4 bits (BASIC, EXT, XSAVE, MSRS) */

	/* Deep state. */
	struct ms_pfnmap map;
	struct ms_vcpu_basic *basic;  /* sorted by vcpu id, one per vCPU seen */
	uint32_t basic_n, basic_cap;
	struct ms_start_info start_info[MS_START_INFO_SLOTS];
	unsigned start_info_next;
	struct ms_p2m_frame *frames;
	size_t frames_n, frames_cap;
	int frames_over;              /* too many to keep */
	int map_warned;
};

/* Lifecycle. */
void ms_libxc_init(struct ms_libxc *x);
void ms_libxc_free(struct ms_libxc *x);
/* A new image in the same stream: state forgotten, knowledge and options kept. */
void ms_libxc_restart(struct ms_libxc *x, uint64_t map_budget);

/* Header checks: hdr points at 24 (image) / 16 (domain) octets whose first
 * octet is at stream offset `off`.  Return the first error code or 0. */
int ms_libxc_image_header(struct ms_libxc *x, struct ms_ctx *c, const uint8_t *hdr, uint64_t off);
int ms_libxc_domain_header(struct ms_libxc *x, struct ms_ctx *c, const uint8_t *hdr, uint64_t off);

/*
 * Record checks.  `body` holds `avail` octets of a body of `len` octets
 * (avail < len only for PAGE_DATA, whose pages are checked separately with
 * ms_libxc_page()).  `pad` points at the padding octets or is NULL when they
 * were not read (checked later with ms_libxc_padding()).  c's location is
 * the record.  Returns the first error code or 0.
 */
int ms_libxc_record(struct ms_libxc *x, struct ms_ctx *c, uint32_t type, uint32_t len,
                    const uint8_t *body, size_t avail);
int ms_libxc_padding(struct ms_libxc *x, struct ms_ctx *c, const uint8_t *pad, uint32_t n,
                     uint64_t off);
/* Does this PAGE_DATA need its page contents seen (deep PV checks)? */
int ms_libxc_wants_pages(const struct ms_libxc *x);
/* Content of a data page (deep checks): entry i of the current PAGE_DATA. */
int ms_libxc_page(struct ms_libxc *x, struct ms_ctx *c, uint64_t pfn, uint32_t type,
                  const uint8_t *page);
/* The start_info pfn PV-29 will look at when the state completes (vCPU
 * 0's edx/rdx): 1 and *pfn, or 0 when deep PV checks have none yet. */
int ms_libxc_start_info_pfn(const struct ms_libxc *x, uint64_t *pfn);
/* Is a start_info page for pfn remembered (from ms_libxc_page)? */
int ms_libxc_has_start_info(const struct ms_libxc *x, uint64_t pfn);
/* EOF at a record boundary (after the last complete record). */
int ms_libxc_eof(struct ms_libxc *x, struct ms_ctx *c, uint64_t off);

#endif /* MIGSTREAM_RULES_LIBXC_H */
