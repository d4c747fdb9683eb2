/*
 * version.c: run-time version, to compare with the header's macros.
 */
#include "config.h"

#include "migstream.h"

unsigned migstream_version_number(void)
{
	return MIGSTREAM_VERSION_NUMBER;
}

const char *migstream_version_string(void)
{
	return MIGSTREAM_VERSION_STRING;
}
