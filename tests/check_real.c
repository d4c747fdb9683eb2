/*
 * check_real: read a save image written by real Xen tools.
 *
 * The image is pv1-128M-1vcpu.save from the shared corpus: `xl save` of a
 * 64-bit x86 PV guest with 128 MiB and one vCPU, on Xen 4.17.  It is an xl
 * save-file header, the libxl stream and, inside it, the libxc image.  This
 * program finds the libxc image by walking the outer headers itself, then
 * reads it with the library in strict mode with deep checks, from memory,
 * from a regular file and from a pipe, and demands the same records, the
 * same values and not a single finding from all three.  It also reads the
 * whole file, all three layers, as xl restore would.
 *
 * Usage: check_real PATH   (or MIGSTREAM_REAL_IMAGE=PATH check_real)
 * tests/real_image.sh decompresses the corpus file and runs this.
 * Exit status 77 (skipped) without a path.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <migstream.h>

/* ------------------------------------------------------------ the image */

#define XL_HEADER_LEN      48u
#define LIBXL_HEADER_LEN   16u
#define REC_HEADER_LEN      8u
#define LIBXC_HEADERS_LEN  40u   /* image header 24 + domain header 16 */

static const uint8_t xl_magic[32] = {
	0x58, 0x65, 0x6e, 0x20, 0x73, 0x61, 0x76, 0x65, 0x64, 0x20, 0x64, 0x6f,
	0x6d, 0x61, 0x69, 0x6e, 0x2c, 0x20, 0x78, 0x6c, 0x20, 0x66, 0x6f, 0x72,
	0x6d, 0x61, 0x74, 0x0a, 0x20, 0x00, 0x20, 0x0d,
};
static const uint8_t libxl_ident[8] = { 'L', 'i', 'b', 'x', 'l', 'F', 'm', 't' };
static const uint8_t libxc_magic[12] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'X', 'E', 'N', 'F',
};

static const char *image_path;
static const uint8_t *image;      /* whole file, mmap'ed read-only */
static size_t image_len;
static size_t libxc_off;          /* file offset of the libxc image header */
static size_t libxc_len;          /* libxc image, up to and including END */
static char layout_error[256];    /* why the layout walk failed, or "" */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
	       (uint32_t)p[3];
}

/*
 * Walk xl header -> libxl header -> LIBXC_CONTEXT -> libxc records -> END
 * by hand, independently of the library.  Sets libxc_off and libxc_len, or
 * layout_error.
 */
static void locate_libxc(void)
{
	size_t off, opt_len;
	uint32_t type, len;

#define LAYOUT_FAIL(...) do { \
		snprintf(layout_error, sizeof layout_error, __VA_ARGS__); \
		return; \
	} while (0)

	if (image_len < XL_HEADER_LEN)
		LAYOUT_FAIL("%zu octets: too short for the xl header", image_len);
	if (memcmp(image, xl_magic, sizeof xl_magic) != 0)
		LAYOUT_FAIL("no xl save-file magic at offset 0");
	if (le32(image + 32) != 0x01020304u)
		LAYOUT_FAIL("xl byte-order marker is not little-endian 0x01020304");
	if (le32(image + 36) != 3u)
		LAYOUT_FAIL("xl mandatory_flags 0x%" PRIx32 ", expected 0x3 (STREAMv2|JSON)",
		            le32(image + 36));
	opt_len = le32(image + 44);
	off = XL_HEADER_LEN + opt_len;
	if (off + LIBXL_HEADER_LEN + REC_HEADER_LEN + LIBXC_HEADERS_LEN > image_len)
		LAYOUT_FAIL("optional_data_len %zu leaves no room for the streams", opt_len);

	if (memcmp(image + off, libxl_ident, sizeof libxl_ident) != 0)
		LAYOUT_FAIL("no libxl ident at offset %zu", off);
	if (be32(image + off + 8) != 2u)
		LAYOUT_FAIL("libxl version %" PRIu32 ", expected 2", be32(image + off + 8));
	if (be32(image + off + 12) != 0u)
		LAYOUT_FAIL("libxl options 0x%" PRIx32 ", expected 0", be32(image + off + 12));
	off += LIBXL_HEADER_LEN;

	type = le32(image + off);
	len = le32(image + off + 4);
	if (type != MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT || len != 0)
		LAYOUT_FAIL("libxl record at %zu is type 0x%" PRIx32 " length %" PRIu32
		            ", expected LIBXC_CONTEXT with an empty body", off, type, len);
	off += REC_HEADER_LEN;

	if (memcmp(image + off, libxc_magic, sizeof libxc_magic) != 0)
		LAYOUT_FAIL("no libxc marker/id at offset %zu", off);
	if (be32(image + off + 12) != 3u)
		LAYOUT_FAIL("libxc version %" PRIu32 ", expected 3", be32(image + off + 12));
	libxc_off = off;

	/* Records: type and length little-endian, body padded to 8. */
	off += LIBXC_HEADERS_LEN;
	for (;;) {
		uint64_t next;

		if (image_len - off < REC_HEADER_LEN)
			LAYOUT_FAIL("libxc image truncated at %zu before END", off);
		type = le32(image + off);
		len = le32(image + off + 4);
		next = (uint64_t)off + REC_HEADER_LEN + (((uint64_t)len + 7) & ~(uint64_t)7);
		if (next > image_len)
			LAYOUT_FAIL("libxc record type 0x%" PRIx32 " at %zu runs past the file",
			            type, off);
		off = (size_t)next;
		if (type == MIGSTREAM_REC_END)
			break;
	}
	libxc_len = off - libxc_off;

	/* What follows the libxc END is the libxl END, and then nothing. */
	if (image_len - off != REC_HEADER_LEN || le32(image + off) != MIGSTREAM_LIBXL_REC_END ||
	    le32(image + off + 4) != 0)
		LAYOUT_FAIL("after the libxc END at %zu: %zu octets, expected only the libxl END",
		            off, image_len - off);
#undef LAYOUT_FAIL
}

/* ------------------------------------------------------------ reading */

#define MAX_RECS   128
#define MAX_NOTES   16

/* What one read of the image saw. */
typedef struct summary {
	int rc;                       /* last return of next(): MIGSTREAM_EOF if all went well */
	char errmsg[512];
	uint32_t format;
	migstream_image_header ih;
	migstream_domain_header dh;
	size_t n;
	struct {
		uint32_t layer, type, length;
		uint64_t offset, index;
		uint32_t count;           /* array records, else 0 */
		uint32_t data_pages;      /* PAGE_DATA */
		uint64_t first_pfn;       /* PAGE_DATA */
		uint64_t hash;            /* FNV-1a over the body or the page contents */
	} rec[MAX_RECS];
	uint64_t warnings, errors, anomalies;
	size_t notes;                 /* warnings and errors reported to the handler */
	char note[MAX_NOTES][320];
	/* decoded values */
	migstream_x86_pv_info pv_info;
	uint32_t p2m_start, p2m_end, p2m_frames;
	migstream_tsc_info tsc;
	uint32_t basic_vcpu;
	size_t basic_len, extended_len, xsave_len;
	uint64_t entries, data_pages;
	uint8_t *pfn_seen;            /* one counter per pfn below 0x8000 (saturating) */
	uint64_t pfn_out_of_range;
	/* trailing octets in channel mode */
	size_t trailing_len;
	int trailing_match;
} summary;

#define P2M_PFNS 0x8000u

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}
#define FNV_INIT 0xcbf29ce484222325ull

static void on_diag(void *ctx, const migstream_diag *d)
{
	summary *s = ctx;

	if (d->severity == MIGSTREAM_SEV_INFO)
		return;
	if (s->notes < MAX_NOTES)
		snprintf(s->note[s->notes], sizeof s->note[0], "%s %s at 0x%" PRIx64 ": %s",
		         migstream_severity_name(d->severity), d->rule ? d->rule : "?",
		         d->offset, d->message ? d->message : "");
	s->notes++;
}

/* How page contents are fetched from a PAGE_DATA record. */
enum page_access {
	PAGES_VIEW,       /* migstream_record_get_page() */
	PAGES_READ,       /* migstream_reader_read_pages() into our buffer */
};

static void summarize_record(summary *s, migstream_reader *r, const migstream_record *rec,
                             enum page_access access)
{
	size_t k = s->n++;
	uint32_t type = migstream_record_type(rec);
	uint64_t h = FNV_INIT;
	const void *blob;
	size_t blob_len;
	uint32_t i, n;
	int rc;

	s->rec[k].layer = migstream_record_layer(rec);
	s->rec[k].type = type;
	s->rec[k].length = migstream_record_length(rec);
	s->rec[k].offset = migstream_record_offset(rec);
	s->rec[k].index = migstream_record_index(rec);

	switch (type) {
	case MIGSTREAM_REC_PAGE_DATA:
		ck_assert_int_eq(migstream_record_count(rec, &n), 0);
		ck_assert_int_eq(migstream_record_data_page_count(rec, &s->rec[k].data_pages), 0);
		s->rec[k].count = n;
		s->entries += n;
		s->data_pages += s->rec[k].data_pages;
		for (i = 0; i < n; i++) {
			uint64_t pfn;
			uint32_t ptype;

			ck_assert_int_eq(migstream_record_get_pfn(rec, i, &pfn, &ptype), 0);
			if (i == 0)
				s->rec[k].first_pfn = pfn;
			h = fnv1a(h, &pfn, sizeof pfn);
			h = fnv1a(h, &ptype, sizeof ptype);
			if (pfn < P2M_PFNS) {
				if (s->pfn_seen[pfn] < 255)
					s->pfn_seen[pfn]++;
			} else {
				s->pfn_out_of_range++;
			}
		}
		if (access == PAGES_VIEW) {
			for (i = 0; i < n; i++) {
				const void *page;

				rc = migstream_record_get_page(rec, i, NULL, NULL, &page);
				ck_assert_msg(rc == 0, "record %zu: get_page(%" PRIu32 "): %s", k, i,
				              migstream_reader_errmsg(r));
				if (page)
					h = fnv1a(h, page, MIGSTREAM_PAGE_SIZE);
			}
		} else if (s->rec[k].data_pages > 0) {
			uint32_t np = s->rec[k].data_pages;
			uint8_t *buf = malloc((size_t)np * MIGSTREAM_PAGE_SIZE);
			void **ptrs = malloc((size_t)np * sizeof *ptrs);

			ck_assert_ptr_nonnull(buf);
			ck_assert_ptr_nonnull(ptrs);
			for (i = 0; i < np; i++)
				ptrs[i] = buf + (size_t)i * MIGSTREAM_PAGE_SIZE;
			/* Two calls, to exercise continuing inside a record. */
			rc = migstream_reader_read_pages(r, ptrs, np / 2);
			ck_assert_msg(rc == 0, "record %zu: read_pages: %s", k,
			              migstream_reader_errmsg(r));
			rc = migstream_reader_read_pages(r, ptrs + np / 2, np - np / 2);
			ck_assert_msg(rc == 0, "record %zu: read_pages: %s", k,
			              migstream_reader_errmsg(r));
			h = fnv1a(h, buf, (size_t)np * MIGSTREAM_PAGE_SIZE);
			free(ptrs);
			free(buf);
		}
		s->rec[k].hash = h;
		return;
	case MIGSTREAM_REC_X86_PV_INFO:
		ck_assert_int_eq(migstream_record_get_x86_pv_info(rec, &s->pv_info,
		                                                  sizeof s->pv_info), 0);
		break;
	case MIGSTREAM_REC_X86_PV_P2M_FRAMES:
		ck_assert_int_eq(migstream_record_get_p2m_range(rec, &s->p2m_start, &s->p2m_end), 0);
		ck_assert_int_eq(migstream_record_count(rec, &s->p2m_frames), 0);
		s->rec[k].count = s->p2m_frames;
		break;
	case MIGSTREAM_REC_X86_TSC_INFO:
		ck_assert_int_eq(migstream_record_get_tsc_info(rec, &s->tsc, sizeof s->tsc), 0);
		break;
	case MIGSTREAM_REC_X86_PV_VCPU_BASIC:
		ck_assert_int_eq(migstream_record_get_vcpu(rec, &s->basic_vcpu, NULL, NULL,
		                                           &s->basic_len), 0);
		break;
	case MIGSTREAM_REC_X86_PV_VCPU_EXTENDED:
		ck_assert_int_eq(migstream_record_get_vcpu(rec, NULL, NULL, NULL,
		                                           &s->extended_len), 0);
		break;
	case MIGSTREAM_REC_X86_PV_VCPU_XSAVE:
		ck_assert_int_eq(migstream_record_get_vcpu(rec, NULL, NULL, NULL, &s->xsave_len), 0);
		break;
	case MIGSTREAM_REC_X86_CPUID_POLICY:
	case MIGSTREAM_REC_X86_MSR_POLICY:
		ck_assert_int_eq(migstream_record_count(rec, &s->rec[k].count), 0);
		break;
	default:
		break;
	}
	blob = migstream_record_body(rec, &blob_len);
	ck_assert_uint_eq(blob_len, s->rec[k].length);
	if (blob_len)
		ck_assert_ptr_nonnull(blob);
	s->rec[k].hash = fnv1a(h, blob, blob_len);
}

static void summary_init(summary *s)
{
	memset(s, 0, sizeof *s);
	s->pfn_seen = calloc(P2M_PFNS, 1);
	ck_assert_ptr_nonnull(s->pfn_seen);
}

static void summary_done(summary *s)
{
	free(s->pfn_seen);
	s->pfn_seen = NULL;
}

/* A reader in strict mode with deep checks, diagnostics going to s. */
static migstream_reader *new_reader(summary *s, int channel)
{
	migstream_reader *r = migstream_reader_new();

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_MODE,
	                                             MIGSTREAM_MODE_STRICT), 0);
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_DEEP, 1), 0);
	if (channel)
		ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_CHANNEL, 1), 0);
	ck_assert_int_eq(migstream_reader_set_diag_handler(r, on_diag, s), 0);
	return r;
}

/* Read records until next() stops; r is already open. */
static void read_all(summary *s, migstream_reader *r, enum page_access access)
{
	const migstream_record *rec;
	int rc;

	rc = migstream_reader_read_headers(r);
	ck_assert_msg(rc == 0, "read_headers: %s (%s)", migstream_error_name(rc),
	              migstream_reader_errmsg(r));
	ck_assert_int_eq(migstream_reader_format(r, &s->format), 0);
	ck_assert_int_eq(migstream_reader_get_image_header(r, &s->ih, sizeof s->ih), 0);
	ck_assert_int_eq(migstream_reader_get_domain_header(r, &s->dh, sizeof s->dh), 0);

	while ((rc = migstream_reader_next(r, &rec)) == 0) {
		ck_assert_msg(s->n < MAX_RECS, "more than %d records", MAX_RECS);
		summarize_record(s, r, rec, access);
	}
	s->rc = rc;
	snprintf(s->errmsg, sizeof s->errmsg, "%s", migstream_reader_errmsg(r));
	s->warnings = migstream_reader_count(r, MIGSTREAM_SEV_WARNING);
	s->errors = migstream_reader_count(r, MIGSTREAM_SEV_ERROR);
	s->anomalies = migstream_reader_anomalies(r);
}

/* Fail listing every warning and error the handler saw. */
static void assert_clean(const summary *s, const char *how)
{
	char list[MAX_NOTES * 330 + 64];
	size_t i, used = 0;

	list[0] = '\0';
	for (i = 0; i < s->notes && i < MAX_NOTES; i++)
		used += (size_t)snprintf(list + used, sizeof list - used, "\n  %s", s->note[i]);
	if (s->notes > MAX_NOTES)
		snprintf(list + used, sizeof list - used, "\n  ... %zu more", s->notes - MAX_NOTES);

	ck_assert_msg(s->notes == 0 && s->warnings == 0 && s->errors == 0,
	              "%s: %zu findings (%" PRIu64 " warnings, %" PRIu64 " errors):%s",
	              how, s->notes, s->warnings, s->errors, list);
	ck_assert_msg(s->anomalies == 0, "%s: %" PRIu64 " anomalies", how, s->anomalies);
}

/* The record sequence xl save of a PV guest produces (format.md 14.1). */
static void assert_sequence(const summary *s, const char *how)
{
	static const uint32_t head[] = {
		MIGSTREAM_REC_X86_PV_INFO, MIGSTREAM_REC_X86_CPUID_POLICY,
		MIGSTREAM_REC_X86_MSR_POLICY, MIGSTREAM_REC_STATIC_DATA_END,
		MIGSTREAM_REC_X86_PV_P2M_FRAMES,
	};
	static const uint32_t tail[] = {
		MIGSTREAM_REC_X86_TSC_INFO, MIGSTREAM_REC_SHARED_INFO,
		MIGSTREAM_REC_X86_PV_VCPU_BASIC, MIGSTREAM_REC_X86_PV_VCPU_EXTENDED,
		MIGSTREAM_REC_X86_PV_VCPU_XSAVE, MIGSTREAM_REC_END,
	};
	const size_t nhead = sizeof head / sizeof head[0];
	const size_t npages = 32, ntail = sizeof tail / sizeof tail[0];
	size_t i;

	ck_assert_msg(s->n == nhead + npages + ntail, "%s: %zu records, expected %zu", how,
	              s->n, nhead + npages + ntail);
	for (i = 0; i < s->n; i++) {
		uint32_t want = i < nhead ? head[i]
		              : i < nhead + npages ? MIGSTREAM_REC_PAGE_DATA
		              : tail[i - nhead - npages];

		ck_assert_msg(s->rec[i].type == want, "%s: record %zu is %s, expected %s", how, i,
		              migstream_record_type_name(MIGSTREAM_LAYER_LIBXC, s->rec[i].type),
		              migstream_record_type_name(MIGSTREAM_LAYER_LIBXC, want));
		ck_assert_uint_eq(s->rec[i].layer, MIGSTREAM_LAYER_LIBXC);
		ck_assert_uint_eq(s->rec[i].index, i);
	}
	/* Offsets: the first record follows the two headers; each next one
	 * follows the previous, padded to 8. */
	ck_assert_uint_eq(s->rec[0].offset, LIBXC_HEADERS_LEN);
	for (i = 1; i < s->n; i++)
		ck_assert_uint_eq(s->rec[i].offset, s->rec[i - 1].offset + REC_HEADER_LEN +
		                  (((uint64_t)s->rec[i - 1].length + 7) & ~(uint64_t)7));
	ck_assert_uint_eq(s->rec[s->n - 1].offset + REC_HEADER_LEN, libxc_len);
}

/* Headers and decoded values. */
static void assert_values(const summary *s, const char *how)
{
	size_t i;
	uint64_t missing = 0, repeated = 0;

	ck_assert_uint_eq(s->format, MIGSTREAM_FORMAT_LIBXC);
	ck_assert_uint_eq(s->ih.marker, UINT64_MAX);
	ck_assert_uint_eq(s->ih.id, 0x58454E46u);
	ck_assert_uint_eq(s->ih.version, 3);
	ck_assert_uint_eq(s->ih.options, 0);
	ck_assert_uint_eq(s->dh.type, MIGSTREAM_DOMAIN_X86_PV);
	ck_assert_uint_eq(s->dh.page_shift, 12);
	ck_assert_uint_eq(s->dh.xen_major, 4);
	ck_assert_uint_eq(s->dh.xen_minor, 17);

	ck_assert_uint_eq(s->pv_info.guest_width, 8);
	ck_assert_uint_eq(s->pv_info.pt_levels, 4);
	ck_assert_uint_eq(s->p2m_start, 0);
	ck_assert_uint_eq(s->p2m_end, 0x7fff);
	ck_assert_uint_eq(s->p2m_frames, 64);          /* 0x8000 pfns / 512 per frame */
	ck_assert_uint_eq(s->rec[1].count, 1248 / 24); /* CPUID leaves */
	ck_assert_uint_eq(s->rec[2].count, 32 / 16);   /* MSR entries */
	ck_assert_uint_eq(s->basic_vcpu, 0);
	ck_assert_uint_eq(s->basic_len, 5168);
	ck_assert_uint_eq(s->extended_len, 64);
	ck_assert_uint_eq(s->xsave_len, 848);
	ck_assert_uint_ne(s->tsc.khz, 0);

	/* A save of a paused guest sends every pfn of the p2m exactly once. */
	for (i = 0; i < P2M_PFNS; i++) {
		missing += s->pfn_seen[i] == 0;
		repeated += s->pfn_seen[i] > 1;
	}
	ck_assert_msg(missing == 0 && repeated == 0 && s->pfn_out_of_range == 0,
	              "%s: pfns 0..0x7fff: %" PRIu64 " missing, %" PRIu64 " repeated, %" PRIu64
	              " beyond", how, missing, repeated, s->pfn_out_of_range);
	ck_assert_uint_eq(s->entries, P2M_PFNS);
	ck_assert_uint_le(s->data_pages, s->entries);
	ck_assert_uint_gt(s->data_pages, 0);
}

static void print_summary(const summary *s, const char *how)
{
	printf("# %s: %zu records, PAGE_DATA: %" PRIu64 " entries, %" PRIu64
	       " data pages; TSC mode %" PRIu32 " khz %" PRIu32 " nsec %" PRIu64
	       " incarnation %" PRIu32 "\n", how, s->n, s->entries, s->data_pages,
	       s->tsc.mode, s->tsc.khz, s->tsc.nsec, s->tsc.incarnation);
}

static void assert_same(const summary *a, const summary *b, const char *how)
{
	size_t i;

	ck_assert_msg(a->n == b->n, "%s: %zu records, memory read gave %zu", how, b->n, a->n);
	for (i = 0; i < a->n; i++) {
		ck_assert_msg(a->rec[i].type == b->rec[i].type &&
		              a->rec[i].length == b->rec[i].length &&
		              a->rec[i].offset == b->rec[i].offset &&
		              a->rec[i].index == b->rec[i].index &&
		              a->rec[i].count == b->rec[i].count &&
		              a->rec[i].data_pages == b->rec[i].data_pages &&
		              a->rec[i].first_pfn == b->rec[i].first_pfn,
		              "%s: record %zu differs from the memory read", how, i);
		ck_assert_msg(a->rec[i].hash == b->rec[i].hash,
		              "%s: record %zu (%s) content differs from the memory read", how, i,
		              migstream_record_type_name(MIGSTREAM_LAYER_LIBXC, a->rec[i].type));
	}
	ck_assert_int_eq(a->rc, b->rc);
	ck_assert_uint_eq(a->entries, b->entries);
	ck_assert_uint_eq(a->data_pages, b->data_pages);
	ck_assert_int_eq(memcmp(&a->tsc, &b->tsc, sizeof a->tsc), 0);
	ck_assert_int_eq(memcmp(&a->ih, &b->ih, sizeof a->ih), 0);
	ck_assert_int_eq(memcmp(&a->dh, &b->dh, sizeof a->dh), 0);
}

static void require_layout(void)
{
	ck_assert_msg(layout_error[0] == '\0', "%s: %s", image_path, layout_error);
}

/* Reference read: from memory, ending exactly at the libxc END. */
static void read_memory(summary *s, enum page_access access)
{
	migstream_reader *r;

	require_layout();
	summary_init(s);
	r = new_reader(s, 0);
	ck_assert_int_eq(migstream_reader_open_memory(r, image + libxc_off, libxc_len), 0);
	read_all(s, r, access);
	ck_assert_int_eq(migstream_reader_close(r), 0);
	migstream_reader_free(r);
}

/* ------------------------------------------------------------ tests */

START_TEST(test_real_layout)
{
	require_layout();
	printf("# %s: %zu octets, libxc image at %zu, %zu octets long\n", image_path,
	       image_len, libxc_off, libxc_len);
}
END_TEST

START_TEST(test_real_memory_strict)
{
	summary s;

	read_memory(&s, PAGES_VIEW);
	assert_clean(&s, "memory");
	ck_assert_msg(s.rc == MIGSTREAM_EOF, "memory: next() returned %s: %s",
	              migstream_error_name(s.rc), s.errmsg);
	assert_sequence(&s, "memory");
	assert_values(&s, "memory");
	print_summary(&s, "memory");
	summary_done(&s);
}
END_TEST

/* The whole rest of the file (libxc image plus the libxl END) in channel
 * mode: the reader stops after the libxc END and leaves the rest. */
START_TEST(test_real_memory_channel)
{
	summary s, ref;
	migstream_reader *r;
	const void *trail = NULL;
	size_t rest = image_len - libxc_off - libxc_len;
	int rc;

	read_memory(&ref, PAGES_VIEW);
	summary_init(&s);
	r = new_reader(&s, 1);
	ck_assert_int_eq(migstream_reader_open_memory(r, image + libxc_off,
	                                              image_len - libxc_off), 0);
	read_all(&s, r, PAGES_VIEW);
	assert_clean(&s, "channel");
	ck_assert_msg(s.rc == MIGSTREAM_EOF, "channel: next() returned %s: %s",
	              migstream_error_name(s.rc), s.errmsg);
	assert_sequence(&s, "channel");
	assert_same(&ref, &s, "channel");
	ck_assert_uint_eq(migstream_reader_offset(r), libxc_len);

	rc = migstream_reader_trailing(r, &trail, &s.trailing_len);
	ck_assert_msg(rc == 0, "trailing: %s", migstream_reader_errmsg(r));
	ck_assert_uint_le(s.trailing_len, rest);
	if (s.trailing_len)
		ck_assert_int_eq(memcmp(trail, image + libxc_off + libxc_len, s.trailing_len), 0);
	printf("# channel: %zu of %zu trailing octets left in the reader\n", s.trailing_len,
	       rest);
	ck_assert_int_eq(migstream_reader_close(r), 0);
	migstream_reader_free(r);
	summary_done(&s);
	summary_done(&ref);
}
END_TEST

/* Without channel mode, the libxl END after the libxc END is trailing data. */
START_TEST(test_real_memory_trailing)
{
	summary s;
	migstream_reader *r;

	require_layout();
	summary_init(&s);
	r = new_reader(&s, 0);
	ck_assert_int_eq(migstream_reader_open_memory(r, image + libxc_off,
	                                              image_len - libxc_off), 0);
	read_all(&s, r, PAGES_VIEW);
	ck_assert_msg(s.rc == MIGSTREAM_E_TRAILING, "next() returned %s, expected "
	              "MIGSTREAM_E_TRAILING: %s", migstream_error_name(s.rc), s.errmsg);
	migstream_reader_free(r);
	summary_done(&s);
}
END_TEST

/* The whole file, as xl restore reads it: xl header, libxl stream, the
 * libxc image inside LIBXC_CONTEXT, the libxl END. */
START_TEST(test_real_xl_file)
{
	summary ref, s;
	migstream_reader *r;
	migstream_xl_header xh;
	migstream_libxl_header lh;
	const migstream_record *rec;
	const void *cfg;
	size_t cfg_len, i, nxc = 0;
	uint32_t opt_len;
	int rc;

	read_memory(&ref, PAGES_VIEW);
	summary_init(&s);
	r = new_reader(&s, 0);
	ck_assert_int_eq(migstream_reader_open_memory(r, image, image_len), 0);
	rc = migstream_reader_read_headers(r);
	ck_assert_msg(rc == 0, "read_headers: %s", migstream_reader_errmsg(r));
	ck_assert_int_eq(migstream_reader_format(r, &s.format), 0);
	ck_assert_uint_eq(s.format, MIGSTREAM_FORMAT_XL);

	ck_assert_int_eq(migstream_reader_get_xl_header(r, &xh, sizeof xh), 0);
	ck_assert_int_eq(memcmp(xh.magic, xl_magic, sizeof xl_magic), 0);
	ck_assert_uint_eq(xh.byteorder, MIGSTREAM_XL_BYTEORDER_LE);
	ck_assert_uint_eq(xh.mandatory_flags, MIGSTREAM_XL_FLAG_JSON | MIGSTREAM_XL_FLAG_STREAMV2);
	ck_assert_uint_eq(xh.optional_flags, 0);
	opt_len = le32(image + 44);
	ck_assert_uint_eq(xh.optional_data_len, opt_len);
	ck_assert_int_eq(migstream_reader_get_xl_config(r, &cfg, &cfg_len), 0);
	ck_assert_uint_eq(cfg_len, le32(image + XL_HEADER_LEN));
	ck_assert_uint_eq(cfg_len + 4, opt_len);
	ck_assert_int_eq(memcmp(cfg, image + XL_HEADER_LEN + 4, cfg_len), 0);
	ck_assert_int_eq(((const char *)cfg)[0], '{');
	ck_assert_int_eq(((const char *)cfg)[cfg_len - 1], '\0');
	ck_assert_int_eq(migstream_reader_get_libxl_header(r, &lh, sizeof lh), 0);
	ck_assert_uint_eq(lh.ident, 0x4C6962786C466D74ull);
	ck_assert_uint_eq(lh.version, 2);
	ck_assert_uint_eq(lh.options, 0);

	/* libxl LIBXC_CONTEXT, the libxc records, libxl END. */
	i = 0;
	while ((rc = migstream_reader_next(r, &rec)) == 0) {
		uint32_t layer = migstream_record_layer(rec);
		uint32_t type = migstream_record_type(rec);

		if (i == 0) {
			ck_assert_uint_eq(layer, MIGSTREAM_LAYER_LIBXL);
			ck_assert_uint_eq(type, MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT);
			ck_assert_uint_eq(migstream_record_offset(rec), libxc_off - REC_HEADER_LEN);
		} else if (layer == MIGSTREAM_LAYER_LIBXC) {
			ck_assert_msg(nxc < ref.n, "more libxc records than the bare read");
			ck_assert_uint_eq(type, ref.rec[nxc].type);
			ck_assert_uint_eq(migstream_record_length(rec), ref.rec[nxc].length);
			ck_assert_uint_eq(migstream_record_index(rec), ref.rec[nxc].index);
			ck_assert_msg(migstream_record_offset(rec) == libxc_off + ref.rec[nxc].offset,
			              "libxc record %zu at offset 0x%" PRIx64 ", expected file offset"
			              " 0x%" PRIx64, nxc, migstream_record_offset(rec),
			              (uint64_t)(libxc_off + ref.rec[nxc].offset));
			nxc++;
		} else {
			ck_assert_uint_eq(layer, MIGSTREAM_LAYER_LIBXL);
			ck_assert_uint_eq(type, MIGSTREAM_LIBXL_REC_END);
			ck_assert_uint_eq(nxc, ref.n);
			ck_assert_uint_eq(migstream_record_offset(rec), libxc_off + libxc_len);
		}
		i++;
	}
	s.rc = rc;
	snprintf(s.errmsg, sizeof s.errmsg, "%s", migstream_reader_errmsg(r));
	s.warnings = migstream_reader_count(r, MIGSTREAM_SEV_WARNING);
	s.errors = migstream_reader_count(r, MIGSTREAM_SEV_ERROR);
	s.anomalies = migstream_reader_anomalies(r);
	assert_clean(&s, "xl file");
	ck_assert_msg(rc == MIGSTREAM_EOF, "xl file: next() returned %s: %s",
	              migstream_error_name(rc), s.errmsg);
	ck_assert_uint_eq(i, ref.n + 2);
	migstream_reader_free(r);
	summary_done(&s);
	summary_done(&ref);
}
END_TEST

/* Write the libxc image to fd; returns 0 or errno. */
static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len > (1u << 20) ? (1u << 20) : len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

START_TEST(test_real_fd_file)
{
	summary ref, s;
	migstream_reader *r;
	char path[4096];
	const char *dir = getenv("TMPDIR");
	int fd;

	read_memory(&ref, PAGES_VIEW);
	snprintf(path, sizeof path, "%s/check_real.XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	ck_assert_msg(fd >= 0, "mkstemp %s: %s", path, strerror(errno));
	unlink(path);
	ck_assert_int_eq(write_all(fd, image + libxc_off, libxc_len), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);

	summary_init(&s);
	r = new_reader(&s, 0);
	ck_assert_int_eq(migstream_reader_open_fd(r, fd), 0);
	read_all(&s, r, PAGES_READ);
	assert_clean(&s, "file");
	ck_assert_msg(s.rc == MIGSTREAM_EOF, "file: next() returned %s: %s",
	              migstream_error_name(s.rc), s.errmsg);
	assert_sequence(&s, "file");
	assert_values(&s, "file");
	assert_same(&ref, &s, "file");
	ck_assert_int_eq(migstream_reader_close(r), 0);
	migstream_reader_free(r);
	close(fd);
	summary_done(&s);
	summary_done(&ref);
}
END_TEST

START_TEST(test_real_fd_pipe)
{
	summary ref, s;
	migstream_reader *r;
	int p[2], status;
	pid_t pid;

	read_memory(&ref, PAGES_VIEW);
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		_exit(write_all(p[1], image + libxc_off, libxc_len) == 0 ? 0 : 1);
	}
	close(p[1]);

	summary_init(&s);
	r = new_reader(&s, 0);
	ck_assert_int_eq(migstream_reader_open_fd(r, p[0]), 0);
	read_all(&s, r, PAGES_VIEW);
	migstream_reader_free(r);
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);

	assert_clean(&s, "pipe");
	ck_assert_msg(s.rc == MIGSTREAM_EOF, "pipe: next() returned %s: %s",
	              migstream_error_name(s.rc), s.errmsg);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "pipe writer failed");
	assert_sequence(&s, "pipe");
	assert_values(&s, "pipe");
	assert_same(&ref, &s, "pipe");
	summary_done(&s);
	summary_done(&ref);
}
END_TEST

/* ------------------------------------------------------------ the whole xl file */

/*
 * The whole save file (xl header, libxl stream, libxc image, libxl END) in
 * strict mode with deep checks, through every kind of source: not a single
 * error or warning.  Callback sources use awkward read sizes.
 */
enum xl_src { XS_MEMORY, XS_FILE, XS_PIPE, XS_IO_4095, XS_IO_4097, XS_IO_65537, XS_IO_RANDOM,
              XS_COUNT };
static const char *const xl_src_names[XS_COUNT] = {
	"memory", "file", "pipe", "io-4095", "io-4097", "io-65537", "io-random",
};

struct xl_io {
	size_t pos, chunk;     /* chunk 0: pseudo-random 1..9000 */
	uint32_t rng;
};

static int64_t xl_io_read(void *ctx, void *buf, size_t len)
{
	struct xl_io *io = ctx;
	size_t n = image_len - io->pos, c = io->chunk;

	if (c == 0) {
		uint32_t x = io->rng;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		io->rng = x;
		c = 1 + x % 9000;
	}
	if (n > len)
		n = len;
	if (n > c)
		n = c;
	memcpy(buf, image + io->pos, n);
	io->pos += n;
	return (int64_t)n;
}

struct xl_findings {
	unsigned errors, warnings;
	char text[2048];
};

static void xl_on_diag(void *ctx, const migstream_diag *d)
{
	struct xl_findings *f = ctx;
	size_t l = strlen(f->text);

	if (d->severity == MIGSTREAM_SEV_INFO)
		return;
	if (d->severity == MIGSTREAM_SEV_ERROR)
		f->errors++;
	else
		f->warnings++;
	if (l + 1 < sizeof f->text)
		snprintf(f->text + l, sizeof f->text - l, " [%s %s: %s]",
		         migstream_severity_name(d->severity), d->rule, d->message);
}

START_TEST(test_real_xl_strict)
{
	migstream_reader *r = migstream_reader_new();
	struct xl_findings f;
	struct xl_io io = { 0, 0, 0x2545F491u };
	static const migstream_read_io cb = { xl_io_read, NULL, NULL };
	const migstream_record *rec;
	uint64_t records = 0, layers[4] = { 0, 0, 0, 0 };
	uint32_t fmt = 0;
	int fd = -1, p[2] = { -1, -1 }, rc;
	pid_t pid = -1;

	memset(&f, 0, sizeof f);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_MODE, MIGSTREAM_MODE_STRICT), 0);
	migstream_reader_set_diag_handler(r, xl_on_diag, &f);
	switch (_i) {
	case XS_MEMORY:
		ck_assert_int_eq(migstream_reader_open_memory(r, image, image_len), 0);
		break;
	case XS_FILE:
		fd = open(image_path, O_RDONLY);
		ck_assert_msg(fd >= 0, "%s: %s", image_path, strerror(errno));
		ck_assert_int_eq(migstream_reader_open_fd(r, fd), 0);
		break;
	case XS_PIPE:
		ck_assert_int_eq(pipe(p), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			close(p[0]);
			_exit(write_all(p[1], image, image_len) == 0 ? 0 : 1);
		}
		close(p[1]);
		ck_assert_int_eq(migstream_reader_open_fd(r, p[0]), 0);
		break;
	default:
		io.chunk = _i == XS_IO_4095 ? 4095 : _i == XS_IO_4097 ? 4097 : _i == XS_IO_65537 ? 65537 : 0;
		ck_assert_int_eq(migstream_reader_open_io(r, &cb, sizeof cb, &io), 0);
		break;
	}
	while ((rc = migstream_reader_next(r, &rec)) == 0) {
		records++;
		layers[migstream_record_layer(rec) & 3]++;
	}
	ck_assert_msg(rc == MIGSTREAM_EOF, "%s: %s: %s; findings:%s", xl_src_names[_i],
	              migstream_error_name(rc), migstream_reader_errmsg(r), f.text);
	ck_assert_msg(f.errors == 0 && f.warnings == 0, "%s: %u errors, %u warnings:%s",
	              xl_src_names[_i], f.errors, f.warnings, f.text);
	ck_assert_int_eq(migstream_reader_format(r, &fmt), 0);
	ck_assert_uint_eq(fmt, MIGSTREAM_FORMAT_XL);
	ck_assert_uint_eq(migstream_reader_offset(r), image_len);
	/* libxl: LIBXC_CONTEXT and END (a PV guest has no emulator records). */
	ck_assert_uint_eq(layers[MIGSTREAM_LAYER_LIBXL], 2);
	ck_assert_uint_eq(layers[MIGSTREAM_LAYER_LIBXC], records - 2);
	migstream_reader_free(r);
	if (fd >= 0)
		close(fd);
	if (p[0] >= 0)
		close(p[0]);
	if (pid > 0) {
		int status;

		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	if (_i == XS_MEMORY)
		printf("# xl file: %" PRIu64 " records (%" PRIu64 " libxc), strict, no findings\n",
		       records, layers[MIGSTREAM_LAYER_LIBXC]);
}
END_TEST

/* Read the whole file and write it back with the writer: the same octets. */
START_TEST(test_real_xl_copy)
{
	migstream_reader *r = migstream_reader_new();
	migstream_writer *w = migstream_writer_new();
	const migstream_record *rec;
	migstream_xl_header xh;
	migstream_libxl_header lh;
	const void *data;
	size_t len;
	int rc, want_hdrs = 0;
	uint64_t *pfns = NULL;
	uint32_t *types = NULL;
	const void **pages = NULL;
	uint32_t cap = 0;

	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(migstream_reader_open_memory(r, image, image_len), 0);
	ck_assert_int_eq(migstream_writer_open_memory(w), 0);
	ck_assert_int_eq(migstream_reader_read_headers(r), 0);
	ck_assert_int_eq(migstream_reader_get_xl_header(r, &xh, sizeof xh), 0);
	ck_assert_int_eq(migstream_reader_get_xl_optional_data(r, &data, &len), 0);
	rc = migstream_writer_put_xl_header(w, &xh, sizeof xh, data, len);
	ck_assert_msg(rc == 0, "put_xl_header: %s", migstream_writer_errmsg(w));
	ck_assert_int_eq(migstream_reader_get_libxl_header(r, &lh, sizeof lh), 0);
	ck_assert_int_eq(migstream_writer_put_libxl_header(w, &lh, sizeof lh), 0);
	while ((rc = migstream_reader_next(r, &rec)) == 0) {
		uint32_t layer = migstream_record_layer(rec), type = migstream_record_type(rec);

		if (want_hdrs && layer == MIGSTREAM_LAYER_LIBXC) {
			migstream_image_header ih;
			migstream_domain_header dh;

			ck_assert_int_eq(migstream_reader_get_image_header(r, &ih, sizeof ih), 0);
			ck_assert_int_eq(migstream_reader_get_domain_header(r, &dh, sizeof dh), 0);
			ck_assert_int_eq(migstream_writer_put_image_header(w, &ih, sizeof ih), 0);
			ck_assert_int_eq(migstream_writer_put_domain_header(w, &dh, sizeof dh), 0);
			want_hdrs = 0;
		}
		if (layer == MIGSTREAM_LAYER_LIBXC && type == MIGSTREAM_REC_PAGE_DATA) {
			uint32_t n = 0, i, nd = 0;

			ck_assert_int_eq(migstream_record_count(rec, &n), 0);
			if (n > cap) {
				cap = n;
				pfns = realloc(pfns, cap * sizeof *pfns);
				types = realloc(types, cap * sizeof *types);
				pages = realloc(pages, cap * sizeof *pages);
				ck_assert(pfns && types && pages);
			}
			for (i = 0; i < n; i++) {
				const void *pg = NULL;

				ck_assert_int_eq(migstream_record_get_page(rec, i, &pfns[i], &types[i], &pg), 0);
				if (pg)
					pages[nd++] = pg;
			}
			rc = migstream_writer_put_page_data(w, n, pfns, types, pages);
		} else {
			const void *body = migstream_record_body(rec, &len);

			rc = migstream_writer_put_record(w, type, body, (uint32_t)len);
		}
		ck_assert_msg(rc == 0, "put %s at %" PRIu64 ": %s", migstream_record_type_name(layer, type),
		              migstream_record_offset(rec), migstream_writer_errmsg(w));
		if (layer == MIGSTREAM_LAYER_LIBXL && type == MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT)
			want_hdrs = 1;
	}
	ck_assert_msg(rc == MIGSTREAM_EOF, "next: %s", migstream_reader_errmsg(r));
	ck_assert_int_eq(migstream_writer_get_memory(w, &data, &len), 0);
	ck_assert_uint_eq(len, image_len);
	ck_assert_msg(memcmp(data, image, image_len) == 0, "the copy differs from the file");
	ck_assert_int_eq(migstream_writer_close(w), 0);
	migstream_writer_free(w);
	migstream_reader_free(r);
	free(pfns);
	free(types);
	free(pages);
}
END_TEST

static Suite *real_suite(void)
{
	Suite *s = suite_create("real");
	TCase *tc;

	tc = tcase_create("layout");
	tcase_add_test(tc, test_real_layout);
	suite_add_tcase(s, tc);

	tc = tcase_create("memory");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_real_memory_strict);
	tcase_add_test(tc, test_real_memory_channel);
	tcase_add_test(tc, test_real_memory_trailing);
	tcase_add_test(tc, test_real_xl_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("fd");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_real_fd_file);
	tcase_add_test(tc, test_real_fd_pipe);
	suite_add_tcase(s, tc);

	tc = tcase_create("xl");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_real_xl_strict, 0, XS_COUNT);
	tcase_add_test(tc, test_real_xl_copy);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	SRunner *sr;
	struct stat st;
	void *map;
	int fd, failed;

	image_path = argc > 1 ? argv[1] : getenv("MIGSTREAM_REAL_IMAGE");
	if (!image_path || !*image_path) {
		fprintf(stderr, "usage: %s IMAGE (or MIGSTREAM_REAL_IMAGE=IMAGE); skipped\n",
		        argv[0]);
		return 77;
	}
	fd = open(image_path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "%s: %s\n", image_path, strerror(errno));
		return 1;
	}
	if (st.st_size <= 0) {
		fprintf(stderr, "%s: empty\n", image_path);
		return 1;
	}
	image_len = (size_t)st.st_size;
	map = mmap(NULL, image_len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		fprintf(stderr, "%s: mmap: %s\n", image_path, strerror(errno));
		return 1;
	}
	close(fd);
	image = map;
	locate_libxc();
	/* A reader failing early must not kill the pipe test with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);

	sr = srunner_create(real_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	munmap(map, image_len);
	return failed == 0 ? 0 : 1;
}
