/*
 * A tiny shell on the disk (/bin/sh): runs commands from a script file
 * (sh FILE), its arguments (sh -c "cmd; cmd"), one per line or ';', or,
 * started with a console handle (init grants one; abi/console.h) and no
 * arguments, lines typed at its prompt. Builtins: echo (with > and >>
 * redirection), cd-less file commands (ls, cat, mkdir, rm, rmdir, mv, cp,
 * stat), help and exit; any other word is a program run from the disk by
 * path (/bin/NAME if it has no '/'), waited for. The disk has the file
 * commands as programs too (/bin/cp ...).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "abi/console.h"

#define MAX_WORDS 16
#define LINE_MAX_LEN 255	/* typed characters per line */
#define PROMPT "sh$ "

static char iobuf[4096];
static bool interactive;

static int complain(const char *what, const char *path)
{
	printf("sh: %s %s: %s\n", what, path, strerror(errno));
	return 1;
}

static int cat(const char *path)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return complain("cat", path);
	while ((n = read(fd, iobuf, sizeof(iobuf))) > 0)
		write(1, iobuf, (size_t)n);
	close(fd);
	return n < 0 ? complain("cat", path) : 0;
}

static int ls(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (!d)
		return complain("ls", path);
	while ((e = readdir(d)))
		printf("%s%s\n", e->d_name, e->d_type == DT_DIR ? "/" : "");
	closedir(d);
	return 0;
}

static int cp(const char *from, const char *to)
{
	int in = open(from, O_RDONLY), out;
	ssize_t n;

	if (in < 0)
		return complain("cp", from);
	if ((out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
		close(in);
		return complain("cp", to);
	}
	while ((n = read(in, iobuf, sizeof(iobuf))) > 0)
		if (write(out, iobuf, (size_t)n) != n)
			n = -1;
	close(in);
	close(out);
	return n < 0 ? complain("cp", to) : 0;
}

static int echo(char **w, int n)
{
	int fd = 1, flags = 0, r = 0;

	if (n >= 3 && (!strcmp(w[n - 2], ">") || !strcmp(w[n - 2], ">>"))) {
		flags = w[n - 2][1] ? O_APPEND : O_TRUNC;
		if ((fd = open(w[n - 1], O_WRONLY | O_CREAT | flags, 0644)) < 0)
			return complain("echo >", w[n - 1]);
		n -= 2;
	}
	for (int i = 1; i < n; i++) {
		if (write(fd, w[i], strlen(w[i])) < 0 || write(fd, i + 1 < n ? " " : "\n", 1) < 0)
			r = 1;
	}
	if (n == 1)
		write(fd, "\n", 1);
	if (fd != 1)
		close(fd);
	return r;
}

static int run(char **w, int n)
{
	struct stat st;
	char path[256];
	int status = 0;

	if (!strcmp(w[0], "echo"))
		return echo(w, n);
	for (int i = 1; i < n; i++) {
		if (!strcmp(w[i], ">") || !strcmp(w[i], ">>")) {
			printf("sh: %s: redirection works with echo only\n", w[0]);
			return 2;
		}
	}
	if (!strcmp(w[0], "help")) {
		printf("builtins: echo [WORD...] [> FILE | >> FILE], cat FILE, ls [DIR], mkdir DIR,\n"
		       "  rmdir DIR, rm FILE, mv FROM TO, cp FROM TO, stat PATH, help, exit [N]\n"
		       "programs: NAME runs /bin/NAME (ls /bin), PATH runs PATH\n");
		return 0;
	}
	if (!strcmp(w[0], "exit"))
		exit(n > 1 ? atoi(w[1]) : 0);
	if (!strcmp(w[0], "cat"))
		return n > 1 ? cat(w[1]) : 1;
	if (!strcmp(w[0], "ls"))
		return ls(n > 1 ? w[1] : "/");
	if (!strcmp(w[0], "mkdir"))
		return n > 1 && mkdir(w[1], 0755) < 0 ? complain("mkdir", w[1]) : 0;
	if (!strcmp(w[0], "rmdir"))
		return n > 1 && rmdir(w[1]) < 0 ? complain("rmdir", w[1]) : 0;
	if (!strcmp(w[0], "rm"))
		return n > 1 && unlink(w[1]) < 0 ? complain("rm", w[1]) : 0;
	if (!strcmp(w[0], "mv"))
		return n > 2 && rename(w[1], w[2]) < 0 ? complain("mv", w[1]) : 0;
	if (!strcmp(w[0], "cp"))
		return n > 2 ? cp(w[1], w[2]) : 1;
	if (!strcmp(w[0], "stat")) {
		if (n < 2 || stat(w[1], &st) < 0)
			return complain("stat", n > 1 ? w[1] : "");
		printf("%s: inode %lu, mode %o, %lu links, %ld bytes, mtime %ld\n", w[1],
		       (unsigned long)st.st_ino, (unsigned)st.st_mode, (unsigned long)st.st_nlink,
		       (long)st.st_size, (long)st.st_mtime);
		return 0;
	}
	snprintf(path, sizeof(path), strchr(w[0], '/') ? "%s" : "/bin/%s", w[0]);
	w[0] = path;
	int64_t pid = spawn_path((const char *const *)w, 0);
	if (pid < 0) {
		printf("sh: %s: %s\n", path, strerror((int)-pid));
		return 127;
	}
	waitpid((pid_t)pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + status;
}

/* One command line: words split on blanks, run. */
static int line(char *s)
{
	char *w[MAX_WORDS + 1];
	int n = 0;

	for (char *t = strtok(s, " \t\r\n"); t; t = strtok(NULL, " \t\r\n")) {
		if (n == MAX_WORDS) {
			printf("sh: more than %d words\n", MAX_WORDS);
			return 2;
		}
		w[n++] = t;
	}
	w[n] = NULL;
	if (n == 0 || w[0][0] == '#')
		return 0;
	if (!interactive) {	/* a script shows what it runs */
		printf("$ ");
		for (int i = 0; i < n; i++)
			printf("%s%s", w[i], i + 1 < n ? " " : "\n");
	}
	return run(w, n);
}

/* Commands separated by newlines or ';'. */
static int script(char *text)
{
	int r = 0;
	char *save = NULL;

	for (char *c = strtok_r(text, ";\n", &save); c; c = strtok_r(NULL, ";\n", &save))
		r = line(c);
	return r;
}

/* --- The prompt: lines typed on the console, edited as they come --- */

static uint64_t console;	/* our handle to the console driver */
static char echo_out[256];	/* what to echo, written before we wait */
static unsigned echo_len;

static void echo_flush(void)
{
	if (echo_len)
		write(1, echo_out, echo_len);
	echo_len = 0;
}

static void echo_str(const char *s)
{
	for (; *s; s++) {
		if (echo_len == sizeof(echo_out))
			echo_flush();
		echo_out[echo_len++] = *s;
	}
}

/* The next input byte, or -1 when the console fails us. */
static int getch(void)
{
	static uint8_t in[CONSOLE_READ_MAX];
	static int64_t n, pos;

	if (pos == n) {
		echo_flush();
		n = console_read(console, in, sizeof(in), CONSOLE_MODE_BYTES);
		pos = 0;
		if (n <= 0) {
			n = 0;
			return -1;
		}
	}
	return in[pos++];
}

/*
 * One line into buf (at most LINE_MAX_LEN characters): its length, or -1
 * at Ctrl-D on an empty line or a console error. Editing: Backspace or
 * Delete erases a character, Ctrl-U the line, Ctrl-C drops it; other
 * control characters and escape sequences (arrow keys) are ignored. A
 * longer line is refused whole, with a message, and never overruns.
 */
static int read_line(char *buf)
{
	static bool after_cr;
	unsigned len = 0, esc = 0;
	bool overflow = false;
	char c1[2] = { 0, 0 };

	for (;;) {
		int c = getch();
		if (c < 0)
			return -1;
		if (c == '\n' && after_cr) {	/* CR LF: one line end */
			after_cr = false;
			continue;
		}
		after_cr = c == '\r';
		if (esc == 1) {
			esc = c == '[' || c == 'O' ? 2 : 0;
			continue;
		}
		if (esc == 2) {
			esc = c >= 0x40 && c <= 0x7e ? 0 : 2;	/* the final byte ends it */
			continue;
		}
		if (c == '\r' || c == '\n') {
			echo_str("\n");
			buf[overflow ? 0 : len] = 0;
			if (!overflow)
				return (int)len;
			echo_flush();
			printf("sh: line too long (more than %d characters): ignored\n", LINE_MAX_LEN);
			return 0;
		}
		if (c == 0x7f || c == '\b') {
			if (len && !overflow) {
				len--;
				echo_str("\b \b");
			}
		} else if (c == 0x15) {		/* Ctrl-U: a fresh start, even past the limit */
			for (; len; len--)
				echo_str("\b \b");
			overflow = false;
		} else if (c == 0x03) {		/* Ctrl-C */
			echo_str("^C\n");
			buf[0] = 0;
			return 0;
		} else if (c == 0x04) {		/* Ctrl-D */
			if (len == 0 && !overflow) {
				echo_str("exit\n");
				return -1;
			}
		} else if (c == 0x1b) {
			esc = 1;
		} else if (c >= 0x20) {
			if (len < LINE_MAX_LEN && !overflow) {
				buf[len++] = (char)c;
				c1[0] = (char)c;
				echo_str(c1);
			} else {
				overflow = true;	/* no more echo until the line ends */
			}
		}
	}
}

static int prompt_loop(void)
{
	static char buf[LINE_MAX_LEN + 1];
	int r = 0;

	interactive = true;
	printf("sh: type help for the commands; exit or Ctrl-D ends the shell\n");
	for (;;) {
		echo_str(PROMPT);
		if (read_line(buf) < 0)
			break;
		echo_flush();
		r = script(buf);
	}
	echo_flush();
	return r;
}

int main(int argc, char **argv)
{
	static char text[16384];
	struct console_info ci;

	if (argc > 2 && !strcmp(argv[1], "-c")) {
		snprintf(text, sizeof(text), "%s", argv[2]);
		return script(text);
	}
	if (argc < 2 && libsys_start_info.granted &&
	    console_info(libsys_start_info.granted, &ci) == 0) {
		console = libsys_start_info.granted;
		return prompt_loop();
	}
	if (argc < 2) {
		printf("usage: sh FILE | sh -c COMMANDS | sh (with a console handle)\n");
		return 2;
	}
	int fd = open(argv[1], O_RDONLY);
	ssize_t n;
	if (fd < 0)
		return complain("open", argv[1]);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0)
		return complain("read", argv[1]);
	text[n] = 0;
	return script(text);
}
