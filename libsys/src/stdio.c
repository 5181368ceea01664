/*
 * picolibc's stdin/stdout/stderr: output goes to the kernel debug console,
 * a line at a time. stdin reads nothing: console input is the console
 * driver's, for the programs given a client handle (servers/console).
 */
#include <stdio.h>
#include "libsys.h"

static char line[256];
static unsigned line_len;

static int flush_line(void)
{
	if (line_len)
		sys_debug_write(line, line_len);
	line_len = 0;
	return 0;
}

static int console_put(char c, FILE *f)
{
	(void)f;
	line[line_len++] = c;
	if (c == '\n' || line_len == sizeof(line))
		flush_line();
	return (unsigned char)c;
}

static int console_get(FILE *f)
{
	(void)f;
	return EOF;
}

static int console_flush(FILE *f)
{
	(void)f;
	return flush_line();
}

static FILE console = FDEV_SETUP_STREAM(console_put, console_get, console_flush, _FDEV_SETUP_RW);
FILE *const stdin = &console;
FILE *const stdout = &console;
FILE *const stderr = &console;
