/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * migstream rules / migstream explain: the rule catalogue compiled into the
 * library, so that every finding can be explained from an installed
 * library alone.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "commands.h"

static const char *rule_layer(uint32_t layer)
{
	switch (layer) {
	case MIGSTREAM_LAYER_XL: return "xl";
	case MIGSTREAM_LAYER_LIBXL: return "libxl";
	case MIGSTREAM_LAYER_LIBXC: return "libxc";
	default: return "none";
	}
}

static void rules_usage(FILE *f)
{
	fprintf(f,
	        "usage: migstream rules [--json] [--layer L] [--severity S]\n"
	        "\n"
	        "List the rules every finding refers to: ID, severity, layer, summary.\n"
	        "\n"
	        "  --json                 one JSON object per rule, with its explanation\n"
	        "  --layer L              only rules of layer L: xl, libxl, libxc or none\n"
	        "  --severity S           only rules of severity S: error, warning/S,\n"
	        "                         warning, compat or info\n"
	        "  -h, --help             this text\n"
	        "\n"
	        "migstream explain ID prints one rule in full.\n");
}

static void explain_usage(FILE *f)
{
	fprintf(f,
	        "usage: migstream explain ID\n"
	        "\n"
	        "Print rule ID (as named by a finding, e.g. PV-9) in full: severity,\n"
	        "layer, what it concerns, what it checks, why Xen cares and what a\n"
	        "writer must do instead.  Exit status 2 when there is no such rule.\n"
	        "\n"
	        "  -h, --help             this text\n");
}

static void rule_json(const migstream_rule *r)
{
	printf("{\"id\":");
	json_str(stdout, r->id);
	printf(",\"severity\":");
	json_str(stdout, r->severity_name);
	printf(",\"layer\":\"%s\",\"code\":%" PRId32 ",\"code_name\":", rule_layer(r->layer), r->code);
	json_str(stdout, r->code ? migstream_error_name(r->code) : "");
	printf(",\"deep\":%s,\"concerns\":", r->deep ? "true" : "false");
	json_str(stdout, r->concerns);
	printf(",\"summary\":");
	json_str(stdout, r->summary);
	printf(",\"explanation\":");
	json_str(stdout, r->explanation);
	printf(",\"xen_docs\":");
	json_str(stdout, r->xen_docs);
	printf("}\n");
}

int cmd_rules(int argc, char **argv)
{
	const char *layer = NULL, *sev = NULL;
	int json = 0;
	migstream_rule r;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--json") == 0) {
			json = 1;
		} else if ((strcmp(a, "--layer") == 0 || strcmp(a, "--severity") == 0) && i + 1 < argc) {
			if (a[2] == 'l')
				layer = argv[++i];
			else
				sev = argv[++i];
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			rules_usage(stdout);
			return fflush(stdout) == 0 ? 0 : EXIT_USAGE;
		} else {
			fprintf(stderr, "%s rules: unknown or incomplete option '%s'\n", progname, a);
			rules_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (layer && strcmp(layer, "xl") && strcmp(layer, "libxl") && strcmp(layer, "libxc") &&
	    strcmp(layer, "none")) {
		fprintf(stderr, "%s rules: --layer must be xl, libxl, libxc or none, not '%s'\n",
		        progname, layer);
		return EXIT_USAGE;
	}
	if (sev && strcmp(sev, "error") && strcmp(sev, "warning/S") && strcmp(sev, "warning") &&
	    strcmp(sev, "compat") && strcmp(sev, "info")) {
		fprintf(stderr, "%s rules: --severity must be error, warning/S, warning, compat or "
		        "info, not '%s'\n", progname, sev);
		return EXIT_USAGE;
	}
	for (size_t i = 0; migstream_rule_get(i, &r, sizeof r) == 0; i++) {
		if (layer && strcmp(layer, rule_layer(r.layer)) != 0)
			continue;
		if (sev && strcmp(sev, r.severity_name) != 0)
			continue;
		if (json)
			rule_json(&r);
		else
			printf("%-10s %-9s %-5s %s\n", r.id, r.severity_name, rule_layer(r.layer),
			       r.summary);
	}
	return fflush(stdout) == 0 ? 0 : EXIT_USAGE;
}

/* Words of s on lines of at most `width` columns, each starting with indent. */
static void wrap(const char *s, const char *indent, size_t width)
{
	size_t col = 0;

	while (*s) {
		size_t n;
		while (*s == ' ')
			s++;
		n = strcspn(s, " ");
		if (n == 0)
			break;
		if (col && col + 1 + n > width) {
			putchar('\n');
			col = 0;
		}
		if (col == 0) {
			fputs(indent, stdout);
			col = strlen(indent);
		} else {
			putchar(' ');
			col++;
		}
		fwrite(s, 1, n, stdout);
		col += n;
		s += n;
	}
	if (col)
		putchar('\n');
}

int cmd_explain(int argc, char **argv)
{
	migstream_rule r;
	const char *id = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			explain_usage(stdout);
			return fflush(stdout) == 0 ? 0 : EXIT_USAGE;
		}
		if (id || argv[i][0] == '-') {
			fprintf(stderr, "%s explain: unexpected argument '%s'\n", progname, argv[i]);
			explain_usage(stderr);
			return EXIT_USAGE;
		}
		id = argv[i];
	}
	if (!id) {
		explain_usage(stderr);
		return EXIT_USAGE;
	}
	if (migstream_rule_lookup(id, &r, sizeof r) != 0) {
		fprintf(stderr, "%s explain: no rule '%s' (migstream rules lists them)\n",
		        progname, id);
		return EXIT_USAGE;
	}
	printf("%s: %s\n\n", r.id, r.summary);
	printf("  Severity:   %s", r.severity_name);
	if (r.code)
		printf(" (rejects with %s)", migstream_error_name(r.code));
	printf("\n  Layer:      %s\n  Concerns:   %s\n  Deep check: %s\n\n",
	       rule_layer(r.layer), r.concerns, r.deep ? "yes (off with --no-deep)" : "no");
	wrap(r.explanation, "  ", 76);
	if (r.xen_docs[0]) {
		printf("\n");
		wrap(r.xen_docs, "  Xen's stream documents: ", 76);
	}
	printf("\n  See migstream-rules(7) for severities, modes and source kinds.\n");
	return fflush(stdout) == 0 ? 0 : EXIT_USAGE;
}
