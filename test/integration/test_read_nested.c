/*
 * read()'s truncate recovery nests (libsys/src/file_read.c, struct
 * win_copy): a signal handler that calls read() while the interrupted
 * read() copies out of its window. The handler here reads another file
 * (through a window of its own), then cuts the file the interrupted read
 * is copying to nothing; the copy's next page is past the end, and its
 * fault must resume in the interrupted read (a short count), not SIGBUS.
 * With one static recovery state, the handler's read() left none for the
 * outer copy and the process died.
 *
 * The reader is a child (init cannot be signalled); its parent sends it
 * SIGUSR1 every 300 us until it ends. Only signals that land during a
 * read() count, and the reader wants WANT of them (their timing cannot
 * be forced: up to ROUNDS reads).
 *
 * Mode "close": the handler closes the descriptor whose read() it
 * interrupted. The copy goes on from the window (the mapping outlives the
 * descriptor) and must find it still mapped: close dropped the window at
 * once, and the copy died of SIGSEGV.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "t.h"

#define BIG	(1u << 20)	/* the file the main loop reads whole */
#define SMALL	(64u << 10)	/* the handler's read: a window too */
#define ROUNDS	400
#define WANT	10		/* handlers run inside a read() */

static char big[BIG], small[SMALL];
static int fd_big, fd_small;
static volatile int in_read, mid_reads, handler_bad, handlers;
static volatile int fd_read = -1;	/* close mode: the descriptor the main loop reads */

/* close mode: the handler closes the descriptor whose read() it
 * interrupted; that read's copy goes on from its window (a mapping
 * outlives close), which must stay mapped until the copy ends. */
static void on_usr1_close(int sig)
{
	(void)sig;
	handlers++;
	if (!in_read || fd_read < 0)
		return;
	int saved = errno;
	if (close(fd_read) != 0)
		handler_bad++;
	fd_read = -1;
	mid_reads++;
	errno = saved;
}

static void on_usr1(int sig)
{
	(void)sig;
	handlers++;
	if (!in_read)
		return;
	int saved = errno;
	if (lseek(fd_small, 0, SEEK_SET) != 0 || read(fd_small, small, SMALL) != SMALL ||
	    small[0] != 's' || small[SMALL - 1] != 's')
		handler_bad++;
	if (ftruncate(fd_big, 0) != 0)
		handler_bad++;
	mid_reads++;
	errno = saved;
}

static void make(const char *path, uint32_t size, char fill)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0);
	memset(big, fill, sizeof(big));
	CHECK_EQ(write(fd, big, size), size);
	close(fd);
}

/* The reader (a child: init cannot be signalled): its loop; exit 0 if
 * every read() came back with a plausible count. */
static int reader(void)
{
	int rounds = 0, bad = 0;

	if ((fd_big = open("/nest_big", O_RDWR)) < 0 || (fd_small = open("/nest_small", O_RDONLY)) < 0)
		return 2;
	for (; rounds < ROUNDS && mid_reads < WANT; rounds++) {
		if (ftruncate(fd_big, BIG) != 0 || lseek(fd_big, 0, SEEK_SET) != 0)
			bad++;
		in_read = 1;
		ssize_t r = read(fd_big, big, BIG);
		in_read = 0;
		if (r < 0 || r > (ssize_t)BIG)
			bad++;
	}
	printf("read_nested: %d rounds, %d handlers, %d inside a read\n", rounds, handlers, mid_reads);
	return bad || handler_bad ? 3 : mid_reads ? 0 : 4;
}

/* close mode's reader: every read() of the whole file returns all of it,
 * whether or not the handler closed its descriptor meanwhile. */
static int reader_close(void)
{
	int rounds = 0, bad = 0;

	for (; rounds < ROUNDS && mid_reads < WANT; rounds++) {
		int fd = open("/nest_big", O_RDONLY);
		if (fd < 0)
			return 2;
		memset(big, 0, sizeof(big));
		fd_read = fd;
		in_read = 1;
		ssize_t r = read(fd, big, BIG);
		in_read = 0;
		int e = errno;
		/* All of it; or EBADF when the close came before the copy began
		 * (the window is made after the claim). */
		if (r < 0 ? e != EBADF : r != (ssize_t)BIG || big[0] != 'b' || big[BIG - 1] != 'b') {
			printf("read_nested: close: read gave %ld (errno %d)\n", (long)r, e);
			bad++;
		}
		if (fd_read >= 0)
			close(fd);
		fd_read = -1;
	}
	printf("read_nested: close: %d rounds, %d handlers, %d inside a read\n", rounds, handlers,
	       mid_reads);
	return bad || handler_bad ? 3 : mid_reads ? 0 : 4;
}

int main(int argc, char **argv)
{
	bool close_mode = argc > 1 && strcmp(argv[1], "close") == 0;
	struct sigaction sa = { .sa_handler = close_mode ? on_usr1_close : on_usr1 };
	pid_t kid;
	int status = -1;

	setvbuf(stdout, NULL, _IONBF, 0);
	CHECK(fs_start(libsys_start_info.devices, libsys_start_info.ndevices) > 0);
	make("/nest_big", BIG, 'b');
	make("/nest_small", SMALL, 's');
	CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);	/* before the fork: the child has it at once */
	if ((kid = fork()) == 0)
		_exit(close_mode ? reader_close() : reader());
	CHECK(kid > 0);
	while (kid > 0 && waitpid(kid, &status, WNOHANG) == 0) {
		usleep(300);
		kill(kid, SIGUSR1);
	}
	if (WIFSIGNALED(status))
		printf("FAIL: the reader was killed by signal %d\n", WTERMSIG(status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return t_done(close_mode ? "read_nested_close" : "read_nested");
}
