/*
 * record.c: generic and typed accessors of records.
 *
 * Every accessor checks the record's layer and type, then reads through
 * bounds computed from the body octets actually in memory, so a record that
 * was delivered despite a rule violation (lax mode) is still safe to use.
 */
#include "config.h"

#include <string.h>

#include "wire.h"
#include "reader.h"
#include "pages.h"

uint32_t migstream_record_layer(const migstream_record *rec) { return rec ? rec->layer : 0; }
uint32_t migstream_record_type(const migstream_record *rec) { return rec ? rec->type : 0; }
uint32_t migstream_record_length(const migstream_record *rec) { return rec ? rec->length : 0; }
uint64_t migstream_record_offset(const migstream_record *rec) { return rec ? rec->offset : 0; }
uint64_t migstream_record_index(const migstream_record *rec) { return rec ? rec->index : 0; }

const void *migstream_record_body(const migstream_record *rec, size_t *len)
{
	if (!rec) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = rec->avail;
	return rec->body;
}

/* ------------------------------------------------------------------ helpers */

static int is_libxc(const migstream_record *rec, uint32_t type)
{
	return rec && rec->layer == MIGSTREAM_LAYER_LIBXC && rec->type == type;
}

static uint32_t get32(const migstream_record *rec, size_t off)
{
	return ms_get32(rec->body + off, rec->be);
}

static uint64_t get64(const migstream_record *rec, size_t off)
{
	return ms_get64(rec->body + off, rec->be);
}

/* Entries of size esz after a header of hdr octets, within what is in memory. */
static uint32_t entries(const migstream_record *rec, size_t hdr, size_t esz)
{
	if (rec->avail < hdr)
		return 0;
	uint64_t n = (rec->avail - hdr) / esz;
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

static void copy_out(void *out, size_t size, const void *val, size_t known)
{
	memcpy(out, val, size < known ? size : known);
}

/* ------------------------------------------------------------------ arrays */

int migstream_record_count(const migstream_record *rec, uint32_t *count)
{
	if (!rec || !count)
		return MIGSTREAM_E_INVAL;
	if (rec->layer != MIGSTREAM_LAYER_LIBXC)
		return MIGSTREAM_E_WRONG_TYPE;
	switch (rec->type) {
	case MIGSTREAM_REC_PAGE_DATA:
		*count = rec->count;
		return 0;
	case MIGSTREAM_REC_X86_PV_P2M_FRAMES:
		*count = entries(rec, 8, 8);
		return 0;
	case MIGSTREAM_REC_HVM_PARAMS: {
		if (rec->avail < 8)
			return MIGSTREAM_E_RANGE;
		uint32_t c = get32(rec, 0), fit = entries(rec, 8, 16);
		*count = c < fit ? c : fit;
		return 0;
	}
	case MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST:
		*count = entries(rec, 0, 8);
		return 0;
	case MIGSTREAM_REC_X86_CPUID_POLICY:
		*count = entries(rec, 0, 24);
		return 0;
	case MIGSTREAM_REC_X86_MSR_POLICY:
		*count = entries(rec, 0, 16);
		return 0;
	case MIGSTREAM_REC_X86_PV_VCPU_MSRS:
		*count = entries(rec, 8, 16);
		return 0;
	default:
		return MIGSTREAM_E_WRONG_TYPE;
	}
}

/* ------------------------------------------------------------------ PAGE_DATA */

int migstream_record_data_page_count(const migstream_record *rec, uint32_t *n)
{
	if (!rec || !n)
		return MIGSTREAM_E_INVAL;
	if (!is_libxc(rec, MIGSTREAM_REC_PAGE_DATA))
		return MIGSTREAM_E_WRONG_TYPE;
	*n = rec->data_pages;
	return 0;
}

int migstream_record_get_page_data_reserved(const migstream_record *rec, uint32_t *reserved)
{
	if (!rec || !reserved)
		return MIGSTREAM_E_INVAL;
	if (!is_libxc(rec, MIGSTREAM_REC_PAGE_DATA))
		return MIGSTREAM_E_WRONG_TYPE;
	if (rec->avail < 8)
		return MIGSTREAM_E_RANGE;
	*reserved = get32(rec, 4);
	return 0;
}

int migstream_record_get_pfn(const migstream_record *rec, uint32_t i, uint64_t *pfn, uint32_t *type)
{
	if (!rec)
		return MIGSTREAM_E_INVAL;
	if (!is_libxc(rec, MIGSTREAM_REC_PAGE_DATA))
		return MIGSTREAM_E_WRONG_TYPE;
	if (i >= rec->count)
		return MIGSTREAM_E_RANGE;
	struct ms_pfn e = ms_pfn_entry(rec->body + 8, i, rec->be);
	if (pfn)
		*pfn = e.pfn;
	if (type)
		*type = e.type;
	return 0;
}

int migstream_record_get_page(const migstream_record *rec, uint32_t i, uint64_t *pfn,
                              uint32_t *type, const void **page)
{
	uint32_t t;
	uint64_t p;
	int rc = migstream_record_get_pfn(rec, i, &p, &t);
	if (rc)
		return rc;
	if (pfn)
		*pfn = p;
	if (type)
		*type = t;
	if (!page)
		return 0;
	*page = NULL;
	if (!ms_type_has_data(t) || rec->data_pages == 0)
		return 0;
	return ms_pages_view(rec->pages, rec, i, page);
}

/* ------------------------------------------------------------------ others */

int migstream_record_get_x86_pv_info(const migstream_record *rec, migstream_x86_pv_info *out,
                                     size_t size)
{
	if (!rec || !out)
		return MIGSTREAM_E_INVAL;
	if (!is_libxc(rec, MIGSTREAM_REC_X86_PV_INFO))
		return MIGSTREAM_E_WRONG_TYPE;
	if (rec->avail < 8)
		return MIGSTREAM_E_RANGE;
	migstream_x86_pv_info v;
	v.guest_width = rec->body[0];
	v.pt_levels = rec->body[1];
	memcpy(v.reserved, rec->body + 2, 6);
	copy_out(out, size, &v, sizeof v);
	return 0;
}

int migstream_record_get_p2m_range(const migstream_record *rec, uint32_t *start_pfn, uint32_t *end_pfn)
{
	if (!rec)
		return MIGSTREAM_E_INVAL;
	if (!is_libxc(rec, MIGSTREAM_REC_X86_PV_P2M_FRAMES))
		return MIGSTREAM_E_WRONG_TYPE;
	if (rec->avail < 8)
		return MIGSTREAM_E_RANGE;
	if (start_pfn)
		*start_pfn = get32(rec, 0);
	if (end_pfn)
		*end_pfn = get32(rec, 4);
	return 0;
}

int migstream_record_get_p2m_frame(const migstream_record *rec, uint32_t i, uint64_t *pfn)
{
	if (!rec || !pfn)
		return MIGSTREAM_E_INVAL;
	if (!is_libxc(rec, MIGSTREAM_REC_X86_PV_P2M_FRAMES))
		return MIGSTREAM_E_WRONG_TYPE;
	if (i >= entries(rec, 8, 8))
		return MIGSTREAM_E_RANGE;
	*pfn = get64(rec, 8 + 8 * (size_t)i);
	return 0;
}

static int is_vcpu(const migstream_record *rec)
{
	return rec->layer == MIGSTREAM_LAYER_LIBXC &&
	       (rec->type == MIGSTREAM_REC_X86_PV_VCPU_BASIC || rec->type == MIGSTREAM_REC_X86_PV_VCPU_EXTENDED ||
	        rec->type == MIGSTREAM_REC_X86_PV_VCPU_XSAVE || rec->type == MIGSTREAM_REC_X86_PV_VCPU_MSRS);
}

int migstream_record_get_vcpu(const migstream_record *rec, uint32_t *vcpu_id, uint32_t *reserved,
                              const void **ctx, size_t *ctx_len)
{
	if (!rec)
		return MIGSTREAM_E_INVAL;
	if (!is_vcpu(rec))
		return MIGSTREAM_E_WRONG_TYPE;
	if (rec->avail < 8)
		return MIGSTREAM_E_RANGE;
	if (vcpu_id)
		*vcpu_id = get32(rec, 0);
	if (reserved)
		*reserved = get32(rec, 4);
	if (ctx)
		*ctx = rec->body + 8;
	if (ctx_len)
		*ctx_len = rec->avail - 8;
	return 0;
}

int migstream_record_get_vcpu_msr(const migstream_record *rec, uint32_t i, migstream_msr_entry *out,
                                  size_t size)
{
	if (!rec || !out)
		return MIGSTREAM_E_INVAL;
	if (!is_libxc(rec, MIGSTREAM_REC_X86_PV_VCPU_MSRS))
		return MIGSTREAM_E_WRONG_TYPE;
	if (i >= entries(rec, 8, 16))
		return MIGSTREAM_E_RANGE;
	/* The context is an x86 blob: little-endian whatever the stream says. */
	const uint8_t *e = rec->body + 8 + 16 * (size_t)i;
	migstream_msr_entry v = { ms_le32(e), ms_le32(e + 4), ms_le64(e + 8) };
	copy_out(out, size, &v, sizeof v);
	return 0;
}

int migstream_record_get_blob(const migstream_record *rec, const void **data, size_t *len)
{
	if (!rec)
		return MIGSTREAM_E_INVAL;
	if (rec->layer == MIGSTREAM_LAYER_LIBXL && rec->type == MIGSTREAM_LIBXL_REC_EMULATOR_CONTEXT)
		return migstream_record_get_emulator_context(rec, data, len);
	int ok = (rec->type & MIGSTREAM_REC_OPTIONAL) ||
	         (rec->layer == MIGSTREAM_LAYER_LIBXC &&
	          (rec->type == MIGSTREAM_REC_SHARED_INFO || rec->type == MIGSTREAM_REC_HVM_CONTEXT ||
	           rec->type == MIGSTREAM_REC_TOOLSTACK));
	if (!ok)
		return MIGSTREAM_E_WRONG_TYPE;
	if (data)
		*data = rec->body;
	if (len)
		*len = rec->avail;
	return 0;
}

int migstream_record_get_tsc_info(const migstream_record *rec, migstream_tsc_info *out, size_t size)
{
	if (!rec || !out)
		return MIGSTREAM_E_INVAL;
	if (!is_libxc(rec, MIGSTREAM_REC_X86_TSC_INFO))
		return MIGSTREAM_E_WRONG_TYPE;
	if (rec->avail < 24)
		return MIGSTREAM_E_RANGE;
	migstream_tsc_info v = { get32(rec, 0), get32(rec, 4), get64(rec, 8), get32(rec, 16), get32(rec, 20) };
	copy_out(out, size, &v, sizeof v);
	return 0;
}

int migstream_record_get_hvm_params_reserved(const migstream_record *rec, uint32_t *reserved)
{
	if (!rec || !reserved)
		return MIGSTREAM_E_INVAL;
	if (!is_libxc(rec, MIGSTREAM_REC_HVM_PARAMS))
		return MIGSTREAM_E_WRONG_TYPE;
	if (rec->avail < 8)
		return MIGSTREAM_E_RANGE;
	*reserved = get32(rec, 4);
	return 0;
}

int migstream_record_get_hvm_param(const migstream_record *rec, uint32_t i, uint64_t *index,
                                   uint64_t *value)
{
	uint32_t n;
	if (!rec)
		return MIGSTREAM_E_INVAL;
	if (!is_libxc(rec, MIGSTREAM_REC_HVM_PARAMS))
		return MIGSTREAM_E_WRONG_TYPE;
	int rc = migstream_record_count(rec, &n);
	if (rc)
		return rc;
	if (i >= n)
		return MIGSTREAM_E_RANGE;
	if (index)
		*index = get64(rec, 8 + 16 * (size_t)i);
	if (value)
		*value = get64(rec, 16 + 16 * (size_t)i);
	return 0;
}

int migstream_record_get_dirty_pfn(const migstream_record *rec, uint32_t i, uint64_t *pfn)
{
	if (!rec || !pfn)
		return MIGSTREAM_E_INVAL;
	if (!is_libxc(rec, MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST))
		return MIGSTREAM_E_WRONG_TYPE;
	if (i >= entries(rec, 0, 8))
		return MIGSTREAM_E_RANGE;
	*pfn = get64(rec, 8 * (size_t)i);
	return 0;
}

int migstream_record_get_cpuid_leaf(const migstream_record *rec, uint32_t i, migstream_cpuid_leaf *out,
                                    size_t size)
{
	if (!rec || !out)
		return MIGSTREAM_E_INVAL;
	if (!is_libxc(rec, MIGSTREAM_REC_X86_CPUID_POLICY))
		return MIGSTREAM_E_WRONG_TYPE;
	if (i >= entries(rec, 0, 24))
		return MIGSTREAM_E_RANGE;
	size_t o = 24 * (size_t)i;
	migstream_cpuid_leaf v = { get32(rec, o), get32(rec, o + 4), get32(rec, o + 8),
	                           get32(rec, o + 12), get32(rec, o + 16), get32(rec, o + 20) };
	copy_out(out, size, &v, sizeof v);
	return 0;
}

int migstream_record_get_msr_entry(const migstream_record *rec, uint32_t i, migstream_msr_entry *out,
                                   size_t size)
{
	if (!rec || !out)
		return MIGSTREAM_E_INVAL;
	if (!is_libxc(rec, MIGSTREAM_REC_X86_MSR_POLICY))
		return MIGSTREAM_E_WRONG_TYPE;
	if (i >= entries(rec, 0, 16))
		return MIGSTREAM_E_RANGE;
	size_t o = 16 * (size_t)i;
	migstream_msr_entry v = { get32(rec, o), get32(rec, o + 4), get64(rec, o + 8) };
	copy_out(out, size, &v, sizeof v);
	return 0;
}

/* ------------------------------------------------------------------ libxl */

static int is_libxl(const migstream_record *rec, uint32_t type)
{
	return rec && rec->layer == MIGSTREAM_LAYER_LIBXL && rec->type == type;
}

static int is_emulator(const migstream_record *rec)
{
	return is_libxl(rec, MIGSTREAM_LIBXL_REC_EMULATOR_XENSTORE_DATA) ||
	       is_libxl(rec, MIGSTREAM_LIBXL_REC_EMULATOR_CONTEXT);
}

int migstream_record_get_emulator(const migstream_record *rec, uint32_t *emulator_id, uint32_t *index)
{
	if (!rec)
		return MIGSTREAM_E_INVAL;
	if (!is_emulator(rec))
		return MIGSTREAM_E_WRONG_TYPE;
	if (rec->avail < 8)
		return MIGSTREAM_E_RANGE;
	if (emulator_id)
		*emulator_id = get32(rec, 0);
	if (index)
		*index = get32(rec, 4);
	return 0;
}

int migstream_record_next_xenstore_pair(const migstream_record *rec, size_t *pos, const char **key,
                                        const char **value)
{
	if (!rec || !pos)
		return MIGSTREAM_E_INVAL;
	if (!is_libxl(rec, MIGSTREAM_LIBXL_REC_EMULATOR_XENSTORE_DATA))
		return MIGSTREAM_E_WRONG_TYPE;
	if (rec->avail < 8)
		return MIGSTREAM_E_RANGE;
	const uint8_t *d = rec->body + 8;
	size_t n = rec->avail - 8;
	if (*pos >= n)
		return MIGSTREAM_EOF;
	const uint8_t *k = d + *pos;
	const uint8_t *kend = memchr(k, '\0', n - *pos);
	if (!kend || (size_t)(kend + 1 - d) >= n)
		return MIGSTREAM_E_FIELD;
	const uint8_t *v = kend + 1;
	const uint8_t *vend = memchr(v, '\0', n - (size_t)(v - d));
	if (!vend)
		return MIGSTREAM_E_FIELD;
	if (key)
		*key = (const char *)k;
	if (value)
		*value = (const char *)v;
	*pos = (size_t)(vend + 1 - d);
	return 0;
}

int migstream_record_get_emulator_context(const migstream_record *rec, const void **data, size_t *len)
{
	if (!rec)
		return MIGSTREAM_E_INVAL;
	if (!is_libxl(rec, MIGSTREAM_LIBXL_REC_EMULATOR_CONTEXT))
		return MIGSTREAM_E_WRONG_TYPE;
	if (rec->avail < 8)
		return MIGSTREAM_E_RANGE;
	if (data)
		*data = rec->body + 8;
	if (len)
		*len = rec->avail - 8;
	return 0;
}

int migstream_record_get_checkpoint_state(const migstream_record *rec, uint32_t *control_id)
{
	if (!rec || !control_id)
		return MIGSTREAM_E_INVAL;
	if (!is_libxl(rec, MIGSTREAM_LIBXL_REC_CHECKPOINT_STATE))
		return MIGSTREAM_E_WRONG_TYPE;
	if (rec->avail < 4)
		return MIGSTREAM_E_RANGE;
	*control_id = get32(rec, 0);
	return 0;
}
