/*
 * wire.h: wire sizes, constants and octet-order helpers.
 *
 * The layouts themselves are the spec (spec/format.md); they never change:
 * the format adds record types rather than altering existing ones.  Fields
 * are always decoded with these memcpy-free byte loads, never by casting a
 * pointer onto the buffer, so alignment and host order never matter.
 */
#ifndef MIGSTREAM_WIRE_H
#define MIGSTREAM_WIRE_H

#ifndef MIGSTREAM_BUILDING
#error "wire.h is private to libmigstream"
#endif

#include <stdint.h>

#define MS_IHDR_SIZE        24u   /* libxc image header */
#define MS_DHDR_SIZE        16u   /* libxc domain header */
#define MS_RHDR_SIZE         8u   /* record header, both layers */
#define MS_LIBXL_HDR_SIZE   16u
#define MS_XL_HDR_SIZE      48u

#define MS_IHDR_MARKER      UINT64_C(0xFFFFFFFFFFFFFFFF)
#define MS_IHDR_ID          0x58454E46u          /* "XENF" */
#define MS_LIBXL_IDENT      UINT64_C(0x4C6962786C466D74) /* "LibxlFmt" */

/* The xl save-file magic: the first 32 octets of an xl file (defined in
 * rules_libxl.c; the reader detects it, the writer writes it, XL-1 checks it). */
#define MS_XL_MAGIC_SIZE    32u
extern const uint8_t ms_xl_magic[MS_XL_MAGIC_SIZE];

#define MS_PFN_MASK         ((UINT64_C(1) << 52) - 1)
#define MS_PFN_RSVD_MASK    (((UINT64_C(1) << 60) - 1) & ~MS_PFN_MASK)
#define MS_PFN_TYPE_SHIFT   60

static inline uint32_t ms_pad8(uint32_t len) { return (8u - (len & 7u)) & 7u; }

static inline uint16_t ms_be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}
static inline uint32_t ms_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t ms_be64(const uint8_t *p)
{
	return (uint64_t)ms_be32(p) << 32 | ms_be32(p + 4);
}
static inline uint16_t ms_le16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[1] << 8 | p[0]);
}
static inline uint32_t ms_le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}
static inline uint64_t ms_le64(const uint8_t *p)
{
	return (uint64_t)ms_le32(p + 4) << 32 | ms_le32(p);
}
/* Stream-endian loads: be != 0 for a big-endian stream. */
static inline uint16_t ms_get16(const uint8_t *p, int be) { return be ? ms_be16(p) : ms_le16(p); }
static inline uint32_t ms_get32(const uint8_t *p, int be) { return be ? ms_be32(p) : ms_le32(p); }
static inline uint64_t ms_get64(const uint8_t *p, int be) { return be ? ms_be64(p) : ms_le64(p); }

/* Stores, the mirror of the loads: v at p in the stream's byte order. */
static inline void ms_put16(uint8_t *p, uint16_t v, int be)
{
	p[be ? 0 : 1] = (uint8_t)(v >> 8);
	p[be ? 1 : 0] = (uint8_t)v;
}
static inline void ms_put32(uint8_t *p, uint32_t v, int be)
{
	for (int i = 0; i < 4; i++)
		p[be ? 3 - i : i] = (uint8_t)(v >> (8 * i));
}
static inline void ms_put64(uint8_t *p, uint64_t v, int be)
{
	for (int i = 0; i < 8; i++)
		p[be ? 7 - i : i] = (uint8_t)(v >> (8 * i));
}
/* One PAGE_DATA pfn-array entry (F 7.2): pfn in bits 0-51, reserved bits
 * 52-59, page type in bits 60-63.  `arr` points at the first entry (after
 * count and reserved); every reader of the array decodes through this. */
struct ms_pfn {
	uint64_t pfn;
	uint32_t type;
	uint64_t raw;                     /* the whole entry, for the reserved bits */
};
static inline struct ms_pfn ms_pfn_entry(const uint8_t *arr, uint32_t i, int be)
{
	struct ms_pfn e;
	e.raw = ms_get64(arr + 8 * (size_t)i, be);
	e.pfn = e.raw & MS_PFN_MASK;
	e.type = (uint32_t)(e.raw >> MS_PFN_TYPE_SHIFT);
	return e;
}
/* The entry the writer stores for pfn and type. */
static inline uint64_t ms_pfn_encode(uint64_t pfn, uint32_t type)
{
	return pfn | (uint64_t)type << MS_PFN_TYPE_SHIFT;
}

/* Page types that carry 4096 octets of data: 0x0-0x4 and 0x9-0xC. */
static inline int ms_type_has_data(uint32_t t)
{
	return t <= 0x4u || (t >= 0x9u && t <= 0xCu);
}
/* Page-table types whose contents the deep checks read (PV-32):
 * L1-L4 and their pinned forms, 0x1-0x4 and 0x9-0xC. */
static inline int ms_type_is_pagetable(uint32_t t)
{
	return t != 0 && ms_type_has_data(t);
}
/* Invalid page types: 0x5-0x8. */
static inline int ms_type_invalid(uint32_t t)
{
	return t >= 0x5u && t <= 0x8u;
}

#endif /* MIGSTREAM_WIRE_H */
