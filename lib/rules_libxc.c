/*
 * rules_libxc.c: every rule of the libxc layer (spec/rules.md sections
 * IHDR, DHDR, REC, ORDER, PAGE, PV, HVM, TSC, POLICY, COMPAT and the libxc
 * side of CKPT), applied to headers and records as they are read.
 *
 * Checks see only octets and the state kept here, so the same code can run
 * on what a writer emits.  Within one record, checking stops at the first
 * error ("one violation, one report", rules.md 1.3); warnings found before
 * it are still reported.  End-of-image rules all run and all report.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "wire.h"
#include "rules.h"
#include "rules_libxc.h"

/* A check helper's "the record goes on to its next checks".  Helpers
 * return it, or what ms_report() returned (0 for a warning, a negative code
 * for an error), which then decides the record. */
#define GO_ON 1

#define HVM_PARAM_DEFINED 39u          /* F 8.9: indexes 0..38 */

void ms_libxc_init(struct ms_libxc *x)
{
	memset(x, 0, sizeof *x);
	x->deep = 1;
}

void ms_libxc_free(struct ms_libxc *x)
{
	ms_pfnmap_free(&x->map);
	ms_free(x->seg_vcpu_seen);
	ms_free(x->basic);
	ms_free(x->frames);
	x->seg_vcpu_seen = NULL;
	x->basic = NULL;
	x->frames = NULL;
}

void ms_libxc_restart(struct ms_libxc *x, uint64_t map_budget)
{
	struct ms_libxc keep = *x;
	ms_libxc_free(x);
	ms_libxc_init(x);
	x->deep = keep.deep;
	x->channel = keep.channel;
	x->kind = keep.kind;
	x->guest_type = keep.guest_type;
	x->guest_type_from_config = keep.guest_type_from_config;
	x->vcpus = keep.vcpus;
	x->p2m_size = keep.p2m_size;
	ms_pfnmap_init(&x->map, map_budget);
}

static int is_pv(const struct ms_libxc *x) { return x->dtype == MIGSTREAM_DOMAIN_X86_PV; }
static int is_hvm(const struct ms_libxc *x) { return x->dtype == MIGSTREAM_DOMAIN_X86_HVM; }

/* Producer in Xen a.b .. c.d inclusive (domain header version). */
static int producer_in(const struct ms_libxc *x, unsigned a, unsigned b, unsigned cmaj, unsigned d)
{
	uint64_t v = (uint64_t)x->xen_major << 32 | x->xen_minor;
	return x->xen_major != 0 && v >= ((uint64_t)a << 32 | b) && v <= ((uint64_t)cmaj << 32 | d);
}

/* ------------------------------------------------------------------ headers */

int ms_libxc_image_header(struct ms_libxc *x, struct ms_ctx *c, const uint8_t *h, uint64_t off)
{
	uint64_t marker = ms_be64(h);
	uint32_t id = ms_be32(h + 8);
	uint32_t version = ms_be32(h + 12);
	uint16_t options = ms_be16(h + 16);
	uint16_t r1 = ms_be16(h + 18);
	uint32_t r2 = ms_be32(h + 20);
	int rc = 0, e;

	if (marker != MS_IHDR_MARKER)
		return ms_report(c, R_IHDR_2, off, "marker is 0x%016llx, expected 0xffffffffffffffff",
		                 (unsigned long long)marker);
	if (id != MS_IHDR_ID)
		return ms_report(c, R_IHDR_3, off + 8, "id is 0x%08x, expected 0x58454e46 (\"XENF\")", id);
	if (version != 2 && version != 3)
		return ms_report(c, R_IHDR_4, off + 12, "version is %u, expected 2 or 3", version);
	x->version = version;
	x->be = options & 1u;
	if (version == 2)
		ms_report(c, R_COMPAT_2, off + 12,
		          "version 2 image (Xen 4.6-4.13): STATIC_DATA_END is inferred, v3-only records are refused");
	if (x->be)
		ms_report(c, R_IHDR_5, off + 16, "options bit 0 set: the image is big-endian");
	if (options & 0xFFFEu) {
		e = ms_report(c, R_IHDR_7, off + 16, "reserved option bits 0x%04x are set",
		              (unsigned)(options & 0xFFFEu));
		if (e && !rc)
			rc = e;
	}
	if (r1 || r2) {
		e = ms_report(c, R_IHDR_8, off + 18, "reserved octets 18-23 are 0x%04x 0x%08x, expected 0",
		              r1, r2);
		if (e && !rc)
			rc = e;
	}
	return rc;
}

int ms_libxc_domain_header(struct ms_libxc *x, struct ms_ctx *c, const uint8_t *h, uint64_t off)
{
	uint32_t type = ms_get32(h, x->be);
	uint16_t shift = ms_get16(h + 4, x->be);
	uint16_t rsvd = ms_get16(h + 6, x->be);
	int rc = 0, e;

	x->xen_major = ms_get32(h + 8, x->be);
	x->xen_minor = ms_get32(h + 12, x->be);
	x->dtype = type;

	if (type == 3 || type == 4)
		return ms_report(c, R_DHDR_2, off,
		                 "domain type %u (%s) is obsolete: listed by early spec revisions but never produced",
		                 type, type == 3 ? "x86 PVH" : "ARM");
	if (type != MIGSTREAM_DOMAIN_X86_PV && type != MIGSTREAM_DOMAIN_X86_HVM)
		return ms_report(c, R_DHDR_2, off, "domain type is 0x%08x, expected 1 (x86 PV) or 2 (x86 HVM)",
		                 type);
	if (x->be) {
		const char *what = c->what;
		c->what = "libxc image header";   /* the options field it concerns */
		e = ms_report(c, R_IHDR_6, off - 8,
		              "x86 image (domain type %u) declared big-endian; x86 images are little-endian and Xen refuses this one",
		              type);
		c->what = what;
		if (e && !rc)
			rc = e;
	}
	if (shift != 12) {
		e = ms_report(c, R_DHDR_3, off + 4, "page_shift is %u, expected 12 for domain type %u",
		              shift, type);
		if (e)
			return e;
	}
	if (rsvd) {
		e = ms_report(c, R_DHDR_4, off + 6, "reserved octets 6-7 are 0x%04x, expected 0", rsvd);
		if (e && !rc)
			rc = e;
	}
	if (x->guest_type != MIGSTREAM_GUEST_UNKNOWN) {
		uint32_t want = x->guest_type == MIGSTREAM_GUEST_PV ? 1u : 2u;
		if (type != want) {
			e = ms_report(c, x->guest_type_from_config ? R_XL_14 : R_DHDR_5, off,
			              "domain type %u (%s) but the %s says the guest is %s",
			              type, type == 1 ? "x86 PV" : "x86 HVM",
			              x->guest_type_from_config ? "xl configuration (c_info.type)" : "caller",
			              x->guest_type == MIGSTREAM_GUEST_PV ? "pv" :
			              x->guest_type == MIGSTREAM_GUEST_HVM ? "hvm" : "pvh");
			if (e && !rc)
				rc = e;
		}
	}
	if (x->xen_major == 0) {
		ms_report(c, R_DHDR_6, off + 8, "written by the legacy converter, version %u", x->xen_minor);
		ms_report(c, R_COMPAT_3, off + 8,
		          "converted legacy image: emulator id 0, XALLOC pages, HVM_PARAMS before HVM_CONTEXT, "
		          "late SHARED_INFO and missing CPU policy are expected here");
	} else {
		const char *why = NULL;
		if (x->xen_major > 0xFFFF || x->xen_minor > 0xFFFF)
			why = "a field above 0xffff";
		else if (!producer_in(x, 4, 6, 0xFFFF, 0xFFFF))
			why = "older than Xen 4.6, which introduced this format";
		else if (x->version == 2 && producer_in(x, 4, 14, 0xFFFF, 0xFFFF))
			why = "Xen 4.14 and later write version 3 images";
		else if (x->version == 3 && producer_in(x, 4, 6, 4, 13))
			why = "Xen 4.6 to 4.13 write version 2 images";
		if (why)
			ms_report(c, R_DHDR_7, off + 8, "implausible producer Xen %u.%u for a version %u image: %s",
			          x->xen_major, x->xen_minor, x->version, why);
	}
	return rc;
}

/* ------------------------------------------------------------------ helpers */

#define FIRST(rc, expr) do { int e_ = (expr); if (e_ && !(rc)) (rc) = e_; } while (0)

static int map_set(struct ms_libxc *x, struct ms_ctx *c, uint64_t pfn, uint32_t type)
{
	int e = ms_pfnmap_set(&x->map, pfn, type);
	if (e == -2)
		return ms_fail(c, MIGSTREAM_E_NOMEM, 0, c->rec_offset, "out of memory");
	if (e != 0 && !x->map_warned) {
		x->map_warned = 1;
		ms_note(c, MIGSTREAM_SEV_WARNING, c->rec_offset,
		        "deep checks limited: the pfn map reached its budget of %llu octets "
		        "(MIGSTREAM_OPT_MAX_PFN_MAP); checks that need it are skipped",
		        (unsigned long long)x->map.budget);
	}
	return 0;
}

/* Type received for pfn, -1 never, -2 unknown (map incomplete). */
static int map_get(const struct ms_libxc *x, uint64_t pfn)
{
	int t = ms_pfnmap_get(&x->map, pfn);
	if (t < 0 && x->map.over)
		return -2;
	return t;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Does an array of n u64 keys contain a duplicate?  -1 if it could not tell. */
static int has_duplicate(uint64_t *keys, size_t n)
{
	size_t i;
	for (i = 1; i < n; i++)
		if (keys[i] <= keys[i - 1])
			break;
	if (i >= n)
		return 0;                     /* strictly ascending: the common case */
	qsort(keys, n, sizeof *keys, cmp_u64);
	for (i = 1; i < n; i++)
		if (keys[i] == keys[i - 1])
			return 1;
	return 0;
}

/* v2 images: the point where STATIC_DATA_END is implied (ORDER-7). */
static void infer_static_end(struct ms_libxc *x, struct ms_ctx *c, const char *before)
{
	if (x->version == 2 && x->static_end == 0) {
		x->static_end = 2;
		ms_report(c, R_ORDER_7, c->rec_offset, "version 2 image: STATIC_DATA_END inferred before %s",
		          before);
	}
}

/* ORDER-5: v3 records that must follow STATIC_DATA_END. */
static int need_static_end(struct ms_libxc *x, struct ms_ctx *c, uint32_t type)
{
	if (x->version == 3 && x->static_end == 0)
		return ms_report(c, type == MIGSTREAM_REC_PAGE_DATA || type == MIGSTREAM_REC_X86_PV_P2M_FRAMES
		                 ? R_ORDER_4 : R_ORDER_5, c->rec_offset,
		                 "%s before STATIC_DATA_END in a version 3 image",
		                 migstream_record_type_name(MIGSTREAM_LAYER_LIBXC, type));
	return 0;
}

static int compat_empty(struct ms_libxc *x, struct ms_ctx *c, const char *what)
{
	int in = producer_in(x, 4, 6, 4, 8);
	ms_report_sev(c, R_COMPAT_1, in ? MS_SEV_I : MS_SEV_C, 0, c->rec_offset,
	              "%s is empty (tolerated: Xen 4.6-4.8 wrote such records; producer is Xen %u.%u)",
	              what, x->xen_major, x->xen_minor);
	return 0;
}

/* ------------------------------------------------------------------ PAGE_DATA */

/* PAGE_DATA's count and reserved field, and where it may come (PAGE-1 to
 * PAGE-4, PV-10): GO_ON or decided. */
static int page_header(struct ms_libxc *x, struct ms_ctx *c, uint32_t len, const uint8_t *b, size_t avail)
{
	int rc = 0;
	if (len < 8)
		return ms_report(c, R_PAGE_1, c->rec_offset, "body_length %u is below the minimum of 8", len);
	uint32_t count = ms_get32(b, x->be);
	uint32_t rsvd = ms_get32(b + 4, x->be);
	if (count == 0)
		return ms_report(c, R_PAGE_2, c->rec_offset, "count is 0, expected at least 1");
	if ((uint64_t)len < 8 + 8 * (uint64_t)count)
		return ms_report(c, R_PAGE_3, c->rec_offset,
		                 "body_length %u cannot hold count %u pfn entries (needs at least %llu)",
		                 len, count, (unsigned long long)(8 + 8 * (uint64_t)count));
	if (avail < 8 + 8 * (size_t)count)
		return ms_fail(c, MIGSTREAM_E_INVAL, 0, c->rec_offset, "internal: pfn array not in memory");

	if (is_pv(x) && !x->have_p2m)
		infer_static_end(x, c, "PAGE_DATA");
	else if (!is_pv(x))
		infer_static_end(x, c, "the first PAGE_DATA");
	if ((rc = need_static_end(x, c, MIGSTREAM_REC_PAGE_DATA)))
		return rc;
	if (is_pv(x) && !x->have_p2m)
		return ms_report(c, R_PV_10, c->rec_offset, "PAGE_DATA before any X86_PV_P2M_FRAMES in a PV image");
	if (rsvd)
		FIRST(rc, ms_report(c, R_PAGE_4, c->rec_offset, "reserved octets 4-7 are 0x%08x, expected 0", rsvd));
	return rc ? rc : GO_ON;
}

/* What one walk over a pfn array finds (the first entry of each kind, or
 * UINT32_MAX). */
struct pfn_scan {
	uint64_t npages;              /* entries with a data page */
	uint32_t first_rsvd, first_pt, first_xalloc;
	int ascending;
};

/* Walk the pfn array: PAGE-6 and PAGE-8 decide the record at once; the
 * rest is gathered in *sc.  GO_ON or decided. */
static int pfn_walk(struct ms_libxc *x, struct ms_ctx *c, const uint8_t *arr, uint32_t count, struct pfn_scan *sc)
{
	uint64_t prev = 0;
	sc->npages = 0;
	sc->first_rsvd = sc->first_pt = sc->first_xalloc = UINT32_MAX;
	sc->ascending = 1;
	for (uint32_t i = 0; i < count; i++) {
		struct ms_pfn en = ms_pfn_entry(arr, i, x->be);
		uint64_t pfn = en.pfn;
		uint32_t t = en.type;
		if ((en.raw & MS_PFN_RSVD_MASK) && sc->first_rsvd == UINT32_MAX)
			sc->first_rsvd = i;
		if (ms_type_invalid(t))
			return ms_report(c, R_PAGE_6, c->rec_offset, "pfn[%u] (pfn 0x%llx) has invalid type 0x%x",
			                 i, (unsigned long long)pfn, t);
		if (ms_type_has_data(t))
			sc->npages++;
		if (is_pv(x) && pfn > x->max_pfn)
			return ms_report(c, R_PAGE_8, c->rec_offset,
			                 "pfn[%u] is 0x%llx, above max_pfn 0x%llx from X86_PV_P2M_FRAMES",
			                 i, (unsigned long long)pfn, (unsigned long long)x->max_pfn);
		if (is_hvm(x) && (t & 7u) >= 1 && (t & 7u) <= 4 && t != MIGSTREAM_PAGE_XALLOC &&
		    t != MIGSTREAM_PAGE_BROKEN && t != MIGSTREAM_PAGE_XTAB && sc->first_pt == UINT32_MAX)
			sc->first_pt = i;
		if (t == MIGSTREAM_PAGE_XALLOC && x->xen_major != 0 && sc->first_xalloc == UINT32_MAX)
			sc->first_xalloc = i;
		if (i && pfn <= prev)
			sc->ascending = 0;
		prev = pfn;
	}
	return GO_ON;
}

/* PAGE-9: only a record whose pfns do not ascend can repeat one. */
static int duplicate_pfns(struct ms_libxc *x, struct ms_ctx *c, const uint8_t *arr, uint32_t count)
{
	uint64_t *keys = ms_malloc((size_t)count * sizeof *keys);
	if (!keys)
		return ms_fail(c, MIGSTREAM_E_NOMEM, 0, c->rec_offset, "out of memory");
	for (uint32_t i = 0; i < count; i++)
		keys[i] = ms_pfn_entry(arr, i, x->be).pfn;
	if (has_duplicate(keys, count) == 1)
		ms_report(c, R_PAGE_9, c->rec_offset, "a pfn appears more than once in this record (last data wins)");
	ms_free(keys);
	return 0;
}

static int page_data(struct ms_libxc *x, struct ms_ctx *c, uint32_t len, const uint8_t *b, size_t avail)
{
	int rc = page_header(x, c, len, b, avail);
	if (rc != GO_ON)
		return rc;
	uint32_t count = ms_get32(b, x->be);
	const uint8_t *arr = b + 8;
	struct pfn_scan sc;
	if ((rc = pfn_walk(x, c, arr, count, &sc)) != GO_ON)
		return rc;
	rc = 0;
	if ((uint64_t)len != 8 + 8 * (uint64_t)count + 4096 * sc.npages)
		return ms_report(c, R_PAGE_7, c->rec_offset,
		                 "body_length is %u, expected %llu = 8 + 8 x %u entries + 4096 x %llu data pages",
		                 len, (unsigned long long)(8 + 8 * (uint64_t)count + 4096 * sc.npages), count,
		                 (unsigned long long)sc.npages);
	if (sc.first_rsvd != UINT32_MAX) {
		FIRST(rc, ms_report(c, R_PAGE_5, c->rec_offset, "pfn[%u] has reserved bits 52-59 set (entry 0x%016llx)",
		                    sc.first_rsvd, (unsigned long long)ms_pfn_entry(arr, sc.first_rsvd, x->be).raw));
		if (rc)
			return rc;
	}
	if (!sc.ascending && count > 1 && (rc = duplicate_pfns(x, c, arr, count)))
		return rc;
	if (sc.first_pt != UINT32_MAX)
		ms_report(c, R_PAGE_10, c->rec_offset,
		          "pfn[%u] has page-table type 0x%x in an HVM image (restored as an ordinary page)",
		          sc.first_pt, (unsigned)ms_pfn_entry(arr, sc.first_pt, x->be).type);
	if (sc.first_xalloc != UINT32_MAX)
		ms_report(c, R_PAGE_11, c->rec_offset,
		          "pfn[%u] has type XALLOC (0xe) but the image is not converter output (Xen %u.%u)",
		          sc.first_xalloc, x->xen_major, x->xen_minor);
	if (count > 1024)
		ms_report(c, R_PAGE_12, c->rec_offset, "count %u is above 1024, the most Xen's saver sends", count);
	if (x->deep) {
		for (uint32_t i = 0; i < count; i++) {
			struct ms_pfn en = ms_pfn_entry(arr, i, x->be);
			if ((rc = map_set(x, c, en.pfn, en.type)))
				return rc;
		}
	}
	x->seen_page_data = 1;
	return 0;
}

int ms_libxc_wants_pages(const struct ms_libxc *x)
{
	return x->deep && is_pv(x) && x->pv_info;
}

int ms_libxc_page(struct ms_libxc *x, struct ms_ctx *c, uint64_t pfn, uint32_t type, const uint8_t *page)
{
	if (!ms_libxc_wants_pages(x))
		return 0;
	uint32_t level = type & 7u;
	if (type != MIGSTREAM_PAGE_NOTAB && level >= 1 && level <= 4) {
		/* PV-32: present entries hold pfns (F 8.2). */
		for (unsigned i = 0; i < 512; i++) {
			uint64_t pte = ms_le64(page + 8 * i);
			if (!(pte & 1u))
				continue;
			uint64_t target = (pte >> 12) & ((UINT64_C(1) << 40) - 1);
			if (target > x->max_pfn)
				return ms_report(c, R_PV_32, c->rec_offset,
				                 "page-table pfn 0x%llx (type 0x%x) entry %u is present with pfn 0x%llx above max_pfn 0x%llx",
				                 (unsigned long long)pfn, type, i, (unsigned long long)target,
				                 (unsigned long long)x->max_pfn);
		}
	} else if (type == MIGSTREAM_PAGE_NOTAB && memcmp(page, "xen-3.0-", 8) == 0) {
		/* A start_info page (its magic); keep what PV-29 needs. */
		struct ms_start_info *si = NULL;
		for (unsigned i = 0; i < MS_START_INFO_SLOTS; i++)
			if (x->start_info[i].pfn == pfn + 1)
				si = &x->start_info[i];
		if (!si)
			si = &x->start_info[x->start_info_next++ % MS_START_INFO_SLOTS];
		si->pfn = pfn + 1;          /* 0 = empty slot */
		if (x->width == 8) {
			si->store = ms_le64(page + 56);
			si->console = ms_le64(page + 72);
		} else {
			si->store = ms_le32(page + 44);
			si->console = ms_le32(page + 52);
		}
	}
	return 0;
}

int ms_libxc_start_info_pfn(const struct ms_libxc *x, uint64_t *pfn)
{
	if (!ms_libxc_wants_pages(x) || !x->basic_n || x->basic[0].vcpu != 0)
		return 0;
	*pfn = x->basic[0].rdx;
	return 1;
}

int ms_libxc_has_start_info(const struct ms_libxc *x, uint64_t pfn)
{
	for (unsigned i = 0; i < MS_START_INFO_SLOTS; i++)
		if (x->start_info[i].pfn == pfn + 1)
			return 1;
	return 0;
}

/* ------------------------------------------------------------------ PV */

static int pv_info(struct ms_libxc *x, struct ms_ctx *c, uint32_t len, const uint8_t *b)
{
	int rc = 0;
	if (x->pv_info)
		return ms_report(c, R_PV_5, c->rec_offset, "second X86_PV_INFO in the image");
	if (len < 8)
		return ms_report(c, R_PV_1, c->rec_offset, "body_length %u is below 8", len);
	if (len > 8)
		FIRST(rc, ms_report(c, R_PV_2, c->rec_offset, "body_length %u, expected 8 (extra octets ignored)", len));
	if (rc)
		return rc;
	uint8_t w = b[0], l = b[1];
	if (!((w == 4 && l == 3) || (w == 8 && l == 4)))
		return ms_report(c, R_PV_3, c->rec_offset,
		                 "guest_width %u with pt_levels %u; valid pairs are (4, 3) and (8, 4)", w, l);
	for (int i = 2; i < 8; i++)
		if (b[i]) {
			FIRST(rc, ms_report(c, R_PV_4, c->rec_offset, "reserved octets 2-7 are not zero"));
			break;
		}
	if (rc)
		return rc;
	if (x->version == 3 && x->static_end)
		ms_report(c, R_ORDER_10, c->rec_offset, "X86_PV_INFO after STATIC_DATA_END (it is static data)");
	x->pv_info = 1;
	x->width = w;
	x->levels = l;
	x->fpp = 4096u / w;
	return 0;
}

static int cmp_frame(const void *a, const void *b)
{
	const struct ms_p2m_frame *x = a, *y = b;
	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sort the p2m frames by index and keep only the last one supplied for
 * each index (later records replace earlier ones, as in Xen). */
static void compact_frames(struct ms_libxc *x)
{
	size_t out = 0;
	qsort(x->frames, x->frames_n, sizeof *x->frames, cmp_frame);
	for (size_t i = 0; i < x->frames_n; i++) {
		if (i + 1 < x->frames_n && x->frames[i + 1].index == x->frames[i].index)
			continue;
		x->frames[out] = x->frames[i];
		x->frames[out].seq = out;
		out++;
	}
	x->frames_n = out;
}

static int p2m_frames(struct ms_libxc *x, struct ms_ctx *c, uint32_t len, const uint8_t *b)
{
	int rc;
	/* STATIC_DATA_END placement first: it orders the whole image. */
	infer_static_end(x, c, "the first X86_PV_P2M_FRAMES");
	if ((rc = need_static_end(x, c, MIGSTREAM_REC_X86_PV_P2M_FRAMES)))
		return rc;
	if (!x->pv_info)
		return ms_report(c, R_PV_6, c->rec_offset, "X86_PV_P2M_FRAMES before X86_PV_INFO");
	if (len < 16 || len % 8)
		return ms_report(c, R_PV_7, c->rec_offset,
		                 "body_length %u, expected at least 16 and a multiple of 8", len);
	uint32_t s = ms_get32(b, x->be), e = ms_get32(b + 4, x->be);
	if (s > e)
		return ms_report(c, R_PV_8, c->rec_offset, "p2m_start_pfn 0x%x is above p2m_end_pfn 0x%x", s, e);
	uint64_t k = (uint64_t)(e / x->fpp) - (s / x->fpp) + 1;
	if ((uint64_t)len != 8 + 8 * k)
		return ms_report(c, R_PV_9, c->rec_offset,
		                 "body_length is %u, expected %llu for pfns 0x%x-0x%x (%llu frames of %u entries)",
		                 len, (unsigned long long)(8 + 8 * k), s, e, (unsigned long long)k, x->fpp);
	if (!x->have_p2m || e > x->max_pfn)
		x->max_pfn = e;
	x->have_p2m = 1;
	if (x->deep && !x->frames_over) {
		if (x->frames_n + k > MS_FRAMES_MAX)
			compact_frames(x);
		if (x->frames_n + k > MS_FRAMES_MAX) {
			x->frames_over = 1;
			ms_note(c, MIGSTREAM_SEV_WARNING, c->rec_offset,
			        "deep checks limited: more than %u distinct p2m frames; PV-11 is not checked",
			        MS_FRAMES_MAX);
			return 0;
		}
		if (x->frames_n + k > x->frames_cap) {
			size_t ncap = x->frames_cap ? x->frames_cap : 64;
			while (ncap < x->frames_n + k)
				ncap *= 2;
			struct ms_p2m_frame *nf = ms_realloc(x->frames, ncap * sizeof *nf);
			if (!nf)
				return ms_fail(c, MIGSTREAM_E_NOMEM, 0, c->rec_offset, "out of memory");
			x->frames = nf;
			x->frames_cap = ncap;
		}
		for (uint64_t i = 0; i < k; i++) {
			x->frames[x->frames_n].index = s / x->fpp + i;
			x->frames[x->frames_n].pfn = ms_get64(b + 8 + 8 * i, x->be);
			x->frames[x->frames_n].seq = x->frames_n;
			x->frames_n++;
		}
	}
	return 0;
}

/* Bit for (vcpu, record kind) in the current segment. */
static int vcpu_seen_twice(struct ms_libxc *x, uint32_t vcpu, unsigned kind)
{
	if (vcpu >= MS_VCPU_TRACK)
		return 0;
	if (!x->seg_vcpu_seen) {
		x->seg_vcpu_seen = ms_malloc(MS_VCPU_TRACK / 2);
		if (!x->seg_vcpu_seen)
			return -1;
		memset(x->seg_vcpu_seen, 0, MS_VCPU_TRACK / 2);
	}
	size_t bit = (size_t)vcpu * 4 + kind;
	uint8_t m = (uint8_t)(1u << (bit & 7));
	int was = (x->seg_vcpu_seen[bit >> 3] & m) != 0;
	x->seg_vcpu_seen[bit >> 3] |= m;
	return was;
}

/* The last BASIC of each vCPU, kept in a directory sorted by vCPU id that
 * grows with the vCPUs actually seen (each costs a 2800+ octet record). */
static int keep_basic(struct ms_libxc *x, struct ms_ctx *c, uint32_t vcpu, const uint8_t *ctx)
{
	if (vcpu >= MS_VCPU_TRACK)
		return 0;
	uint32_t lo = 0, hi = x->basic_n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (x->basic[mid].vcpu < vcpu)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == x->basic_n || x->basic[lo].vcpu != vcpu) {
		if (x->basic_n == x->basic_cap) {
			uint32_t n = x->basic_cap ? x->basic_cap * 2 : 4;
			struct ms_vcpu_basic *nb = ms_realloc(x->basic, (size_t)n * sizeof *nb);
			if (!nb)
				return ms_fail(c, MIGSTREAM_E_NOMEM, 0, c->rec_offset, "out of memory");
			x->basic = nb;
			x->basic_cap = n;
		}
		memmove(&x->basic[lo + 1], &x->basic[lo], (size_t)(x->basic_n - lo) * sizeof *x->basic);
		x->basic_n++;
	}
	struct ms_vcpu_basic *v = &x->basic[lo];
	memset(v, 0, sizeof *v);
	v->vcpu = vcpu;
	v->offset = c->rec_offset;
	v->index = c->rec_index;
	if (x->width == 8) {
		v->rdx = ms_le64(ctx + 616);
		for (int i = 0; i < 16; i++)
			v->gdt_frames[i] = ms_le64(ctx + 4832 + 8 * i);
		v->gdt_ents = ms_le64(ctx + 4960);
		v->cr1 = ms_le64(ctx + 4992);
		v->cr3 = ms_le64(ctx + 5008);
	} else {
		v->rdx = ms_le32(ctx + 524);
		for (int i = 0; i < 16; i++)
			v->gdt_frames[i] = ms_le32(ctx + 2640 + 4 * i);
		v->gdt_ents = ms_le32(ctx + 2704);
		v->cr1 = ms_le32(ctx + 2720);
		v->cr3 = ms_le32(ctx + 2728);
	}
	return 0;
}

static int is_known_vcpu_msr(uint32_t idx)
{
	return idx == 0x48u || idx == 0x140u || idx == 0xC0000103u || idx == 0xC0011027u ||
	       (idx >= 0xC0011019u && idx <= 0xC001101Bu);
}

/* The context of an X86_PV_VCPU_BASIC record: GO_ON or decided. */
static int vcpu_basic(struct ms_libxc *x, struct ms_ctx *c, uint32_t vcpu, const uint8_t *ctx, uint32_t clen)
{
	int rc;
	uint32_t want = x->width == 4 ? 2800u : 5168u;
	if (clen == 0)
		return ms_report(c, R_PV_16, c->rec_offset, "X86_PV_VCPU_BASIC for vCPU %u has an empty context", vcpu);
	if (clen != want)
		return ms_report(c, R_PV_15, c->rec_offset, "context is %u octets, expected %u for a %u-bit guest", clen,
		                 want, x->width * 8u);
	if (vcpu == 0)
		x->vcpu0_basic = 1;
	if (x->deep && (rc = keep_basic(x, c, vcpu, ctx)))
		return rc;
	return GO_ON;
}

static int vcpu_extended(struct ms_libxc *x, struct ms_ctx *c, uint32_t vcpu, const uint8_t *ctx, uint32_t clen)
{
	if (clen == 0) {
		compat_empty(x, c, "X86_PV_VCPU_EXTENDED");
		return GO_ON;
	}
	if (clen > 128)
		return ms_report(c, R_PV_17, c->rec_offset, "context is %u octets, above the maximum of 128", clen);
	if (x->deep) {
		uint32_t evcpu = clen >= 4 ? ms_le32(ctx) : 0;
		uint32_t esize = clen >= 8 ? ms_le32(ctx + 4) : 0;
		if (esize < 32)
			return ms_report(c, R_PV_18, c->rec_offset, "embedded size field is %u, below 32", esize);
		if (evcpu != vcpu || esize != clen)
			ms_report(c, R_PV_19, c->rec_offset,
			          "embedded vcpu %u / size %u differ from vcpu_id %u / context length %u "
			          "(Xen acts on the embedded values)", evcpu, esize, vcpu, clen);
	}
	return GO_ON;
}

static int vcpu_xsave(struct ms_libxc *x, struct ms_ctx *c, uint32_t clen)
{
	if (clen == 0) {
		compat_empty(x, c, "X86_PV_VCPU_XSAVE");
		return GO_ON;
	}
	if (clen < 16)
		return ms_report(c, R_PV_20, c->rec_offset, "context is %u octets, below the minimum of 16", clen);
	return GO_ON;
}

static int vcpu_msrs(struct ms_libxc *x, struct ms_ctx *c, const uint8_t *ctx, uint32_t clen)
{
	if (clen == 0) {
		compat_empty(x, c, "X86_PV_VCPU_MSRS");
		return GO_ON;
	}
	if (clen % 16)
		return ms_report(c, R_PV_21, c->rec_offset, "context is %u octets, not a multiple of 16", clen);
	if (!x->deep)
		return GO_ON;
	uint32_t n = clen / 16, unknown = UINT32_MAX;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t idx = ms_le32(ctx + 16 * i), r = ms_le32(ctx + 16 * i + 4);
		if (r)
			return ms_report(c, R_PV_22, c->rec_offset,
			                 "MSR entry %u (index 0x%08x) has reserved field 0x%08x, expected 0", i, idx, r);
		if (!is_known_vcpu_msr(idx) && unknown == UINT32_MAX)
			unknown = i;
	}
	if (n > 7)
		ms_report(c, R_PV_23, c->rec_offset, "%u MSR entries; current Xen accepts at most 7", n);
	else if (unknown != UINT32_MAX)
		ms_report(c, R_PV_23, c->rec_offset, "MSR entry %u has index 0x%08x, which current Xen does not accept",
		          unknown, ms_le32(ctx + 16 * unknown));
	return GO_ON;
}

/* The vCPU id and reserved field every X86_PV_VCPU_* record starts with:
 * GO_ON or decided. */
static int vcpu_header(struct ms_libxc *x, struct ms_ctx *c, uint32_t type, const char *name, uint32_t len,
                       const uint8_t *b)
{
	int rc = 0;
	if (!x->pv_info)
		return ms_report(c, R_PV_6, c->rec_offset, "X86_PV_VCPU_%s before X86_PV_INFO", name);
	if ((rc = need_static_end(x, c, type)))
		return rc;
	if (!x->seen_page_data)
		return ms_report(c, R_PV_26, c->rec_offset, "vCPU record before the first PAGE_DATA");
	if (len < 8)
		return ms_report(c, R_PV_12, c->rec_offset, "body_length %u is below 8", len);
	uint32_t vcpu = ms_get32(b, x->be), rsvd = ms_get32(b + 4, x->be);
	if (rsvd)
		FIRST(rc, ms_report(c, R_PV_13, c->rec_offset, "reserved octets 4-7 are 0x%08x, expected 0", rsvd));
	if (rc)
		return rc;
	if (x->vcpus) {
		if (vcpu >= x->vcpus)
			return ms_report(c, R_PV_14, c->rec_offset, "vcpu_id %u, but the guest has %u vCPUs", vcpu, x->vcpus);
	} else if (vcpu >= MS_VCPU_TRACK) {
		ms_report_sev(c, R_PV_14, MS_SEV_W, 0, c->rec_offset,
		              "vcpu_id %u is at or above 8192, the hypervisor's per-domain ceiling", vcpu);
	}
	return GO_ON;
}

static int vcpu_record(struct ms_libxc *x, struct ms_ctx *c, uint32_t type, uint32_t len, const uint8_t *b)
{
	static const char *const names[] = { "BASIC", "EXTENDED", "XSAVE", "MSRS" };
	unsigned kind = type == MIGSTREAM_REC_X86_PV_VCPU_BASIC ? 0 :
	                type == MIGSTREAM_REC_X86_PV_VCPU_EXTENDED ? 1 :
	                type == MIGSTREAM_REC_X86_PV_VCPU_XSAVE ? 2 : 3;
	int rc = vcpu_header(x, c, type, names[kind], len, b);
	if (rc != GO_ON)
		return rc;
	uint32_t vcpu = ms_get32(b, x->be), clen = len - 8;
	const uint8_t *ctx = b + 8;
	switch (kind) {
	case 0: rc = vcpu_basic(x, c, vcpu, ctx, clen); break;
	case 1: rc = vcpu_extended(x, c, vcpu, ctx, clen); break;
	case 2: rc = vcpu_xsave(x, c, clen); break;
	default: rc = vcpu_msrs(x, c, ctx, clen); break;
	}
	if (rc != GO_ON)
		return rc;
	int twice = vcpu_seen_twice(x, vcpu, kind);
	if (twice < 0)
		return ms_fail(c, MIGSTREAM_E_NOMEM, 0, c->rec_offset, "out of memory");
	if (twice)
		ms_report(c, R_PV_24, c->rec_offset, "second X86_PV_VCPU_%s for vCPU %u in this %s (last one wins)",
		          names[kind], vcpu, x->checkpoints ? "checkpoint" : "image");
	x->seen_vcpu = 1;
	return 0;
}

/* ------------------------------------------------------------------ HVM */

static const uint32_t hvm_fixed_size[21] = {
	[1] = 24, [2] = 1032, [3] = 8, [4] = 400, [5] = 32, [6] = 1024, [7] = 16, [8] = 8,
	[9] = 8, [10] = 56, [11] = 24, [12] = 1048, [13] = 8, [14] = 240, [15] = 32,
	[17] = 216, [18] = 32, [19] = 8,
};

static int hvm_per_vcpu(uint32_t tc)
{
	return tc == 2 || tc == 5 || tc == 6 || tc == 14 || tc == 16 || tc == 17 || tc == 18 ||
	       tc == 19 || tc == 20;
}

static int hvm_blob(struct ms_libxc *x, struct ms_ctx *c, uint32_t len, const uint8_t *b)
{
	if (len < 32 || ms_le16(b) != 1 || ms_le32(b + 4) != 24 || ms_le32(b + 8) != 0x54381286u ||
	    ms_le32(b + 12) != 1)
		return ms_report(c, R_HVM_12, c->rec_offset,
		                 "context does not start with a HEADER entry (typecode 1, length 24, magic 0x54381286, version 1)");
	uint32_t off = 0;
	int warned15 = 0, warned16 = 0;
	while (off < len) {
		if (len - off < 8)
			return ms_report(c, R_HVM_13, c->rec_offset,
			                 "context octet %u: descriptor needs 8 octets, %u remain", off, len - off);
		uint32_t tc = ms_le16(b + off), inst = ms_le16(b + off + 2), l = ms_le32(b + off + 4);
		if (l > len - off - 8)
			return ms_report(c, R_HVM_13, c->rec_offset,
			                 "context octet %u: typecode %u payload of %u octets runs past the end (%u remain)",
			                 off, tc, l, len - off - 8);
		if (tc == 0) {
			if (inst || l)
				ms_report(c, R_HVM_17, c->rec_offset,
				          "END descriptor at context octet %u has instance %u, length %u (expected 0, 0)",
				          off, inst, l);
			if (off + 8 + l < len)
				ms_report(c, R_HVM_17, c->rec_offset, "%u octets after the END descriptor (ignored by Xen)",
				          len - off - 8 - l);
			return 0;
		}
		if ((tc == 21 || tc > 20) && !warned15) {
			warned15 = 1;
			ms_report(c, R_HVM_15, c->rec_offset, "unknown typecode %u at context octet %u", tc, off);
		}
		if (tc <= 20 && hvm_fixed_size[tc] && l > hvm_fixed_size[tc] && !warned16) {
			warned16 = 1;
			ms_report(c, R_HVM_16, c->rec_offset,
			          "typecode %u payload is %u octets, longer than its %u-octet layout", tc, l,
			          hvm_fixed_size[tc]);
		}
		if (x->vcpus && hvm_per_vcpu(tc) && inst >= x->vcpus)
			return ms_report(c, R_HVM_18, c->rec_offset,
			                 "typecode %u instance %u, but the guest has %u vCPUs", tc, inst, x->vcpus);
		off += 8 + l;
	}
	return ms_report(c, R_HVM_14, c->rec_offset, "context has no END descriptor");
}

static int hvm_params(struct ms_libxc *x, struct ms_ctx *c, uint32_t len, const uint8_t *b)
{
	int rc = 0;
	if (len < 8)
		return ms_report(c, R_HVM_4, c->rec_offset, "body_length %u is below 8", len);
	uint32_t count = ms_get32(b, x->be), rsvd = ms_get32(b + 4, x->be);
	if ((uint64_t)len != 8 + 16 * (uint64_t)count)
		return ms_report(c, R_HVM_5, c->rec_offset, "body_length is %u, expected %llu for count %u",
		                 len, (unsigned long long)(8 + 16 * (uint64_t)count), count);
	if (rsvd)
		FIRST(rc, ms_report(c, R_HVM_6, c->rec_offset, "reserved octets 4-7 are 0x%08x, expected 0", rsvd));
	if (rc)
		return rc;
	if (count == 0)
		return compat_empty(x, c, "HVM_PARAMS (count 0)");
	uint64_t seen = 0;
	int w7 = 0, w9 = 0, w10 = 0, i8 = 0, w11 = 0;
	for (uint32_t i = 0; i < count; i++) {
		uint64_t idx = ms_get64(b + 8 + 16 * (size_t)i, x->be);
		uint64_t val = ms_get64(b + 16 + 16 * (size_t)i, x->be);
		if (idx >= HVM_PARAM_DEFINED && !w7++)
			ms_report(c, R_HVM_7, c->rec_offset, "param[%u] index %llu is not defined (0-38)", i,
			          (unsigned long long)idx);
		if (idx == 4 && !i8++)
			ms_report(c, R_HVM_8, c->rec_offset,
			          "param[%u] is PAE_ENABLED (4), obsolete; Xen's restorer drops it", i);
		if (idx < 64) {
			if ((seen >> idx) & 1u) {
				if (!w9++)
					ms_report(c, R_HVM_9, c->rec_offset, "index %llu appears twice (last wins)",
					          (unsigned long long)idx);
			}
			seen |= UINT64_C(1) << idx;
		}
		if ((idx == 2 || idx == 18) && !w10++)
			ms_report(c, R_HVM_10, c->rec_offset, "param[%u] index %llu (%s) is set by the restoring toolstack",
			          i, (unsigned long long)idx, idx == 2 ? "STORE_EVTCHN" : "CONSOLE_EVTCHN");
		if (x->deep && (idx == 1 || idx == 5 || idx == 6 || idx == 17)) {
			int t = map_get(x, val & MS_PFN_MASK);
			if (t == -1 && !w11++)
				ms_report(c, R_HVM_11, c->rec_offset,
				          "param[%u] index %llu names pfn 0x%llx, which no PAGE_DATA has carried", i,
				          (unsigned long long)idx, (unsigned long long)val);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ policies */

static int cpuid_leaf_ok(uint32_t leaf, uint32_t sub)
{
	if (sub != 0xFFFFFFFFu)
		return (leaf == 4 && sub < 6) || (leaf == 7 && sub < 3) || (leaf == 0xB && sub < 2) ||
		       (leaf == 0xD && sub < 63);
	return leaf <= 0xD || leaf == 0x40000000u || leaf == 0x40000100u ||
	       (leaf >= 0x80000000u && leaf <= 0x80000021u);
}

static int policy(struct ms_libxc *x, struct ms_ctx *c, uint32_t type, uint32_t len, const uint8_t *b)
{
	int cpuid = type == MIGSTREAM_REC_X86_CPUID_POLICY;
	uint32_t esz = cpuid ? 24 : 16;
	if (len == 0 || len % esz)
		return ms_report(c, cpuid ? R_POLICY_1 : R_POLICY_2, c->rec_offset,
		                 "body_length %u, expected a non-zero multiple of %u", len, esz);
	uint32_t n = len / esz;
	if (!cpuid)
		for (uint32_t i = 0; i < n; i++) {
			uint32_t flags = ms_get32(b + 16 * (size_t)i + 4, x->be);
			if (flags)
				return ms_report(c, R_POLICY_3, c->rec_offset,
				                 "entry %u (MSR 0x%08x) has flags 0x%08x, expected 0", i,
				                 ms_get32(b + 16 * (size_t)i, x->be), flags);
		}
	if (x->static_end)
		ms_report(c, R_ORDER_8, c->rec_offset, "%s after STATIC_DATA_END: Xen stores it but never applies it",
		          cpuid ? "X86_CPUID_POLICY" : "X86_MSR_POLICY");
	if (cpuid ? x->seen_cpuid : x->seen_msr)
		ms_report(c, R_ORDER_9, c->rec_offset, "second %s in the image (only the last counts)",
		          cpuid ? "X86_CPUID_POLICY" : "X86_MSR_POLICY");
	if (n > (cpuid ? 120u : 2u))
		ms_report(c, R_POLICY_4, c->rec_offset, "%u entries; current Xen accepts at most %u", n,
		          cpuid ? 120u : 2u);
	if (x->deep) {
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *e = b + (size_t)esz * i;
			uint32_t k = ms_get32(e, x->be);
			if (cpuid ? !cpuid_leaf_ok(k, ms_get32(e + 4, x->be)) : (k != 0xCEu && k != 0x10Au)) {
				if (cpuid)
					ms_report(c, R_POLICY_5, c->rec_offset,
					          "entry %u leaf 0x%08x subleaf 0x%08x is outside what current Xen accepts",
					          i, k, ms_get32(e + 4, x->be));
				else
					ms_report(c, R_POLICY_6, c->rec_offset,
					          "entry %u MSR index 0x%08x is not 0xce or 0x10a", i, k);
				break;
			}
		}
	}
	uint64_t *keys = ms_malloc((size_t)n * sizeof *keys);
	if (!keys)
		return ms_fail(c, MIGSTREAM_E_NOMEM, 0, c->rec_offset, "out of memory");
	{
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *e = b + (size_t)esz * i;
			keys[i] = cpuid ? (uint64_t)ms_get32(e, x->be) << 32 | ms_get32(e + 4, x->be)
			                : ms_get32(e, x->be);
		}
		if (has_duplicate(keys, n) == 1)
			ms_report(c, R_POLICY_7, c->rec_offset, "duplicate %s in one record (last wins)",
			          cpuid ? "leaf/subleaf" : "MSR index");
		ms_free(keys);
	}
	if (cpuid)
		x->seen_cpuid = 1;
	else
		x->seen_msr = 1;
	return 0;
}

/* ------------------------------------------------------------------ end of state */


static int received(const struct ms_libxc *x, uint64_t pfn)
{
	int t = map_get(x, pfn);
	return t == -2 || (t >= 0 && t != MIGSTREAM_PAGE_XTAB && t != MIGSTREAM_PAGE_BROKEN);
}

/* A pfn must be <= max_pfn and (when known) have type `want` (level for
 * want >= 0x10: page table of that level). */
static int pfn_is(const struct ms_libxc *x, uint64_t pfn, int want)
{
	if (pfn > x->max_pfn)
		return 0;
	int t = map_get(x, pfn);
	if (t == -2)
		return 1;
	if (want >= 0x10)
		return t >= 0 && (t & 7) == (want & 0xF) && t != MIGSTREAM_PAGE_XALLOC &&
		       t != MIGSTREAM_PAGE_XTAB && t != MIGSTREAM_PAGE_BROKEN;
	return t == want;
}

/* Rules evaluated when a state completes (END, each CHECKPOINT). */
/* PV-11: the p2m frame list covers 0 .. max_pfn / fpp with NOTAB pages. */
static int check_p2m_coverage(struct ms_libxc *x, struct ms_ctx *c)
{
	int rc = 0;
	if (!x->have_p2m || x->frames_over)
		return 0;
	compact_frames(x);
	uint64_t need = x->max_pfn / x->fpp, next = 0;
	int bad = 0;
	for (size_t i = 0; i < x->frames_n && !bad; i++) {
		const struct ms_p2m_frame *f = &x->frames[i];
		if (f->index > need)
			break;
		if (f->index != next) {
			FIRST(rc, ms_report(c, R_PV_11, c->rec_offset,
			                    "p2m frame %llu (pfns 0x%llx-0x%llx) was never supplied",
			                    (unsigned long long)next, (unsigned long long)(next * x->fpp),
			                    (unsigned long long)((next + 1) * x->fpp - 1)));
			bad = 1;
			break;
		}
		if (!pfn_is(x, f->pfn, MIGSTREAM_PAGE_NOTAB)) {
			FIRST(rc, ms_report(c, R_PV_11, c->rec_offset,
			                    "p2m frame %llu is pfn 0x%llx, which is %s", (unsigned long long)f->index,
			                    (unsigned long long)f->pfn,
			                    f->pfn > x->max_pfn ? "above max_pfn" : "not a NOTAB page received in PAGE_DATA"));
			bad = 1;
			break;
		}
		next = f->index + 1;
	}
	if (!bad && next <= need)
		FIRST(rc, ms_report(c, R_PV_11, c->rec_offset,
		                    "p2m frame %llu (pfns 0x%llx-0x%llx) was never supplied",
		                    (unsigned long long)next, (unsigned long long)(next * x->fpp),
		                    (unsigned long long)((next + 1) * x->fpp - 1)));
	return rc;
}

/* PV-29: vCPU 0's start_info page and the pfns inside it. */
static int check_start_info(struct ms_libxc *x, struct ms_ctx *c)
{
	int rc = 0;
	if (!x->basic_n || x->basic[0].vcpu != 0)
		return 0;
	uint64_t si = x->basic[0].rdx;
	if (!pfn_is(x, si, MIGSTREAM_PAGE_NOTAB)) {
		FIRST(rc, ms_report(c, R_PV_29, c->rec_offset,
		                    "vCPU 0 start_info pfn 0x%llx (edx/rdx) is %s", (unsigned long long)si,
		                    si > x->max_pfn ? "above max_pfn" : "not a NOTAB page received in PAGE_DATA"));
	} else {
		for (unsigned i = 0; i < MS_START_INFO_SLOTS; i++) {
			const struct ms_start_info *s = &x->start_info[i];
			if (s->pfn != si + 1)
				continue;
			if (s->store > x->max_pfn || !received(x, s->store))
				FIRST(rc, ms_report(c, R_PV_29, c->rec_offset,
				                    "start_info (pfn 0x%llx) store_mfn is pfn 0x%llx, %s",
				                    (unsigned long long)si, (unsigned long long)s->store,
				                    s->store > x->max_pfn ? "above max_pfn" : "never received in PAGE_DATA"));
			else if (s->console > x->max_pfn || !received(x, s->console))
				FIRST(rc, ms_report(c, R_PV_29, c->rec_offset,
				                    "start_info (pfn 0x%llx) console.domU.mfn is pfn 0x%llx, %s",
				                    (unsigned long long)si, (unsigned long long)s->console,
				                    s->console > x->max_pfn ? "above max_pfn" : "never received in PAGE_DATA"));
			break;
		}
	}
	return rc;
}

/* PV-30, PV-31 for every vCPU's last BASIC. */
static int check_vcpu_frames(struct ms_libxc *x, struct ms_ctx *c)
{
	int rc = 0;
	for (uint32_t k = 0; k < x->basic_n; k++) {
		const struct ms_vcpu_basic *b = &x->basic[k];
		uint32_t v = b->vcpu;
		if (b->gdt_ents > 7168) {
			FIRST(rc, ms_report(c, R_PV_30, c->rec_offset, "vCPU %u gdt_ents is %llu, above 7168", v,
			                    (unsigned long long)b->gdt_ents));
		} else {
			uint64_t frames = (b->gdt_ents + 511) / 512;
			for (uint64_t i = 0; i < frames; i++)
				if (!pfn_is(x, b->gdt_frames[i], MIGSTREAM_PAGE_NOTAB)) {
					FIRST(rc, ms_report(c, R_PV_30, c->rec_offset,
					                    "vCPU %u gdt_frames[%llu] is pfn 0x%llx, %s", v,
					                    (unsigned long long)i, (unsigned long long)b->gdt_frames[i],
					                    b->gdt_frames[i] > x->max_pfn ? "above max_pfn"
					                    : "not a NOTAB page received in PAGE_DATA"));
					break;
				}
		}
		uint64_t cr3 = x->width == 8 ? b->cr3 >> 12
		             : (((b->cr3 >> 12) | (b->cr3 << 20)) & 0xFFFFFFFFu);
		if (!pfn_is(x, cr3, 0x10 | x->levels))
			FIRST(rc, ms_report(c, R_PV_31, c->rec_offset,
			                    "vCPU %u cr3 names pfn 0x%llx, which is %s", v, (unsigned long long)cr3,
			                    cr3 > x->max_pfn ? "above max_pfn" : "not a top-level page table"));
		else if (x->width == 8 && (b->cr1 & 1u) && !pfn_is(x, b->cr1 >> 12, 0x10 | x->levels))
			FIRST(rc, ms_report(c, R_PV_31, c->rec_offset,
			                    "vCPU %u user cr1 names pfn 0x%llx, which is %s", v,
			                    (unsigned long long)(b->cr1 >> 12),
			                    (b->cr1 >> 12) > x->max_pfn ? "above max_pfn" : "not a top-level page table"));
	}
	return rc;
}

static int state_complete(struct ms_libxc *x, struct ms_ctx *c, int at_end)
{
	int rc = 0;
	if (is_hvm(x) && !x->seen_hvm_context && (at_end || x->checkpoints == 0))
		FIRST(rc, ms_report(c, R_HVM_2, c->rec_offset, "HVM image without HVM_CONTEXT before %s",
		                    at_end ? "END" : "the first CHECKPOINT"));
	if (!is_pv(x))
		return rc;
	if (!x->pv_info)
		return rc;
	if (!x->vcpu0_basic)
		FIRST(rc, ms_report(c, R_PV_25, c->rec_offset, "no X86_PV_VCPU_BASIC for vCPU 0"));
	if (!x->deep)
		return rc;

	FIRST(rc, check_p2m_coverage(x, c));
	FIRST(rc, check_start_info(x, c));
	FIRST(rc, check_vcpu_frames(x, c));
	return rc;
}

static int end_record(struct ms_libxc *x, struct ms_ctx *c)
{
	int rc = 0;
	if (x->version == 3 && x->static_end == 0)
		FIRST(rc, ms_report(c, R_ORDER_6, c->rec_offset, "version 3 image ends without STATIC_DATA_END"));
	FIRST(rc, state_complete(x, c, 1));
	if (is_pv(x) && !x->seen_shared_info)
		ms_report(c, R_PV_28, c->rec_offset, "PV image without SHARED_INFO (Xen's saver always sends one)");
	if (!x->seen_tsc)
		ms_report(c, R_TSC_6, c->rec_offset, "image without X86_TSC_INFO");
	if (x->version == 3 && !x->seen_cpuid && !x->seen_msr)
		ms_report(c, R_POLICY_8, c->rec_offset,
		          "no CPU policy records: the restoring toolstack must supply a compatible default");
	if (x->checkpoints && x->since_checkpoint)
		ms_report(c, R_CKPT_7, c->rec_offset,
		          "END after %llu records since the last CHECKPOINT: Xen discards them",
		          (unsigned long long)x->since_checkpoint);
	x->ended = 1;
	return rc;
}

static void new_segment(struct ms_libxc *x)
{
	x->seg_hvm_context = 0;
	x->seg_tsc = 0;
	if (x->seg_vcpu_seen)
		memset(x->seg_vcpu_seen, 0, MS_VCPU_TRACK / 2);
}

/* ------------------------------------------------------------------ dispatch */

/* The rules on a record's type and framing that come before its body is
 * looked at (REC-*): GO_ON, or the record is decided (a finding, or an
 * optional record skipped: 0). */
static int record_type_checks(struct ms_libxc *x, struct ms_ctx *c, uint32_t type, uint32_t len)
{
	const char *name = migstream_record_type_name(MIGSTREAM_LAYER_LIBXC, type);

	if (type & MIGSTREAM_REC_OPTIONAL) {
		if (x->checkpoints)
			ms_report(c, R_CKPT_8, c->rec_offset,
			          "optional record 0x%08x after a CHECKPOINT: skipped, but Xen's restorer fails on it", type);
		else
			ms_report(c, R_REC_5, c->rec_offset, "optional record type 0x%08x skipped", type);
		x->since_checkpoint++;
		return 0;
	}
	if (type > MIGSTREAM_REC_X86_MSR_POLICY)
		return ms_report(c, R_REC_4, c->rec_offset, "unknown mandatory record type 0x%08x", type);
	if (type == MIGSTREAM_REC_TOOLSTACK)
		return ms_report(c, R_REC_7, c->rec_offset, "TOOLSTACK records are deprecated and must not appear");
	if (x->version == 2 && type >= MIGSTREAM_REC_STATIC_DATA_END)
		return ms_report(c, R_REC_10, c->rec_offset, "%s (0x%x) in a version 2 image, where the number is reserved",
		                 name, type);
	if (is_hvm(x) && ((type >= 0x02 && type <= 0x07) || type == 0x0C))
		return ms_report(c, R_REC_6, c->rec_offset, "%s is a PV record in an HVM image", name);
	if (is_pv(x) && (type == 0x09 || type == 0x0A))
		return ms_report(c, R_REC_6, c->rec_offset, "%s is an HVM record in a PV image", name);
	if (type == MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST && x->kind != MIGSTREAM_KIND_COLO_BACK)
		return ms_report(c, R_REC_8, c->rec_offset,
		                 "CHECKPOINT_DIRTY_PFN_LIST belongs to the COLO back channel, not a forward stream");
	if ((type == MIGSTREAM_REC_END || type == MIGSTREAM_REC_VERIFY || type == MIGSTREAM_REC_CHECKPOINT ||
	     type == MIGSTREAM_REC_STATIC_DATA_END) && len != 0)
		return ms_report(c, R_REC_9, c->rec_offset, "%s has body_length %u, expected 0", name, len);
	return GO_ON;
}

static int shared_info(struct ms_libxc *x, struct ms_ctx *c, uint32_t len)
{
	int rc;
	if (!x->pv_info)
		return ms_report(c, R_PV_6, c->rec_offset, "SHARED_INFO before X86_PV_INFO");
	if ((rc = need_static_end(x, c, MIGSTREAM_REC_SHARED_INFO)))
		return rc;
	if (len != 4096)
		return ms_report(c, R_PV_27, c->rec_offset, "body_length %u, expected 4096", len);
	x->seen_shared_info = 1;
	return 0;
}

static int tsc_info(struct ms_libxc *x, struct ms_ctx *c, uint32_t len, const uint8_t *b)
{
	int rc = 0;
	if ((rc = need_static_end(x, c, MIGSTREAM_REC_X86_TSC_INFO)))
		return rc;
	if (len != 24)
		return ms_report(c, R_TSC_1, c->rec_offset, "body_length %u, expected 24", len);
	uint32_t mode = ms_get32(b, x->be), rsvd = ms_get32(b + 20, x->be);
	if (rsvd)
		FIRST(rc, ms_report(c, R_TSC_2, c->rec_offset, "reserved octets 20-23 are 0x%08x, expected 0", rsvd));
	if (rc)
		return rc;
	if (mode > 3)
		return ms_report(c, R_TSC_4, c->rec_offset, "mode %u is not a TSC mode (0-3)", mode);
	if (mode == 3)
		ms_report(c, R_TSC_3, c->rec_offset, "mode 3 (PV RDTSCP) is refused by Xen 4.12 and later");
	if (x->seg_tsc++)
		ms_report(c, R_TSC_5, c->rec_offset, "second X86_TSC_INFO in this %s", x->checkpoints ? "checkpoint" : "image");
	x->seen_tsc = 1;
	return 0;
}

static int hvm_context(struct ms_libxc *x, struct ms_ctx *c, uint32_t len, const uint8_t *b)
{
	int rc;
	if ((rc = need_static_end(x, c, MIGSTREAM_REC_HVM_CONTEXT)))
		return rc;
	if (len == 0)
		return ms_report(c, R_HVM_1, c->rec_offset, "empty HVM context");
	if (x->deep && (rc = hvm_blob(x, c, len, b)))
		return rc;
	if (x->seg_hvm_context++)
		ms_report(c, R_HVM_3, c->rec_offset, "second HVM_CONTEXT in this %s (last one wins)",
		          x->checkpoints ? "checkpoint" : "image");
	x->seen_hvm_context = 1;
	return 0;
}

static int hvm_params_record(struct ms_libxc *x, struct ms_ctx *c, uint32_t len, const uint8_t *b)
{
	int rc;
	if ((rc = need_static_end(x, c, MIGSTREAM_REC_HVM_PARAMS)))
		return rc;
	if ((rc = hvm_params(x, c, len, b)))
		return rc;
	if (x->seen_hvm_context)
		ms_report(c, R_ORDER_11, c->rec_offset,
		          "HVM_PARAMS after HVM_CONTEXT (Xen's saver order; restorers apply parameters first)");
	return 0;
}

static int verify_record(struct ms_libxc *x, struct ms_ctx *c)
{
	int rc;
	if ((rc = need_static_end(x, c, MIGSTREAM_REC_VERIFY)))
		return rc;
	if (x->verify_count++ || x->checkpoints || x->kind == MIGSTREAM_KIND_REMUS || x->kind == MIGSTREAM_KIND_COLO)
		ms_report(c, R_ORDER_12, c->rec_offset, "%s",
		          x->verify_count > 1 ? "second VERIFY in the image" : "VERIFY in a checkpointed stream");
	return 0;
}

static int checkpoint_record(struct ms_libxc *x, struct ms_ctx *c)
{
	int rc;
	if ((rc = need_static_end(x, c, MIGSTREAM_REC_CHECKPOINT)))
		return rc;
	if (x->kind == MIGSTREAM_KIND_PLAIN)
		return ms_report(c, R_CKPT_1, c->rec_offset, "CHECKPOINT in a stream declared plain");
	/* A refused CHECKPOINT completes nothing: the state stays as it was. */
	if ((rc = state_complete(x, c, 0)))
		return rc;
	x->checkpoints++;
	x->since_checkpoint = 0;
	new_segment(x);
	return 0;
}

static int dirty_pfn_list(struct ms_libxc *x, struct ms_ctx *c, uint32_t len, const uint8_t *b)
{
	if (len % 8)
		return ms_report(c, R_CKPT_11, c->rec_offset, "body_length %u is not a multiple of 8", len);
	if (x->p2m_size)
		for (uint32_t i = 0; i < len / 8; i++) {
			uint64_t pfn = ms_get64(b + 8 * (size_t)i, x->be);
			if (pfn >= x->p2m_size)
				return ms_report(c, R_CKPT_12, c->rec_offset, "pfn[%u] 0x%llx is not below the p2m size 0x%llx",
				                 i, (unsigned long long)pfn, (unsigned long long)x->p2m_size);
		}
	return 0;
}

static int static_data_end(struct ms_libxc *x, struct ms_ctx *c)
{
	if (x->static_end == 1)
		return ms_report(c, R_ORDER_3, c->rec_offset, "second STATIC_DATA_END in the image");
	x->static_end = 1;
	return 0;
}

int ms_libxc_record(struct ms_libxc *x, struct ms_ctx *c, uint32_t type, uint32_t len,
                    const uint8_t *b, size_t avail)
{
	int rc = record_type_checks(x, c, type, len);
	if (rc != GO_ON)
		return rc;
	if (type != MIGSTREAM_REC_END && type != MIGSTREAM_REC_CHECKPOINT)
		x->since_checkpoint++;

	switch (type) {
	case MIGSTREAM_REC_END:
		return end_record(x, c);
	case MIGSTREAM_REC_PAGE_DATA:
		return page_data(x, c, len, b, avail);
	case MIGSTREAM_REC_X86_PV_INFO:
		return pv_info(x, c, len, b);
	case MIGSTREAM_REC_X86_PV_P2M_FRAMES:
		return p2m_frames(x, c, len, b);
	case MIGSTREAM_REC_X86_PV_VCPU_BASIC:
	case MIGSTREAM_REC_X86_PV_VCPU_EXTENDED:
	case MIGSTREAM_REC_X86_PV_VCPU_XSAVE:
	case MIGSTREAM_REC_X86_PV_VCPU_MSRS:
		return vcpu_record(x, c, type, len, b);
	case MIGSTREAM_REC_SHARED_INFO:
		return shared_info(x, c, len);
	case MIGSTREAM_REC_X86_TSC_INFO:
		return tsc_info(x, c, len, b);
	case MIGSTREAM_REC_HVM_CONTEXT:
		return hvm_context(x, c, len, b);
	case MIGSTREAM_REC_HVM_PARAMS:
		return hvm_params_record(x, c, len, b);
	case MIGSTREAM_REC_VERIFY:
		return verify_record(x, c);
	case MIGSTREAM_REC_CHECKPOINT:
		return checkpoint_record(x, c);
	case MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST:
		return dirty_pfn_list(x, c, len, b);
	case MIGSTREAM_REC_STATIC_DATA_END:
		return static_data_end(x, c);
	case MIGSTREAM_REC_X86_CPUID_POLICY:
	case MIGSTREAM_REC_X86_MSR_POLICY:
		return policy(x, c, type, len, b);
	default:
		return 0;
	}
}

int ms_libxc_padding(struct ms_libxc *x, struct ms_ctx *c, const uint8_t *pad, uint32_t n, uint64_t off)
{
	(void)x;
	for (uint32_t i = 0; i < n; i++)
		if (pad[i])
			return ms_report(c, R_REC_3, off, "padding octet %u is 0x%02x, expected 0", i, pad[i]);
	return 0;
}

int ms_libxc_eof(struct ms_libxc *x, struct ms_ctx *c, uint64_t off)
{
	(void)x;
	(void)c;
	(void)off;
	return 0;
}
