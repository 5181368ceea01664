/*
 * test_attack_proc's signal modes: intr_flood (victims blocked on pipes
 * get EINTR while others flood the pager's notices to the file server)
 * and pipe_race (a signal racing the write that wakes a reader; writers
 * killed mid-stream).
 */
#include "attack_proc.h"

/* ---- signal notices flooded ---- */

static void on_usr1(int sig) { (void)sig; }

/* fork, again while the server keeps too many of our forks unclaimed. */
static pid_t fork_again(void)
{
	pid_t pid;

	for (int i = 0; i < 1000; i++) {
		if ((pid = fork()) >= 0 || errno != EAGAIN)
			return pid;
		usleep(2000);
	}
	return -1;
}

#define VICTIMS	4
#define BUSY	2
#define FLOOD	3000

/*
 * Victims block reading empty pipes, each with a SIGUSR1 handler (no
 * SA_RESTART): the signal must cut the read short (EINTR). Meanwhile
 * we flood the pager's notices to the file server with signals to busy
 * children (each delivery to a process outside a pager call is one
 * notice): a victim's notice among them must still reach the server.
 */
void intr_flood(void)
{
	int vp[VICTIMS][2], done[2];
	pid_t victim[VICTIMS], busy[BUSY];
	uint64_t pipes, waiting;

	signal(SIGUSR1, on_usr1);	/* inherited by the children */
	CHECK_EQ(pipe(done), 0);
	for (int k = 0; k < BUSY; k++) {
		busy[k] = fork_again();
		if (busy[k] == 0)
			for (;;)
				;
	}
	for (int v = 0; v < VICTIMS; v++) {
		CHECK_EQ(pipe(vp[v]), 0);
		victim[v] = fork_again();
		if (victim[v] == 0) {
			struct sigaction sa = { .sa_handler = on_usr1 };
			char c;
			sigaction(SIGUSR1, &sa, NULL);
			close(vp[v][1]);
			close(done[0]);
			ssize_t n = read(vp[v][0], &c, 1);
			char r = n == -1 && errno == EINTR ? 'i' : 'x';
			write(done[1], &r, 1);
			_exit(0);
		}
		close(vp[v][0]);
	}
	close(done[1]);
	/* Every victim waits in the server. */
	for (int i = 0; i < 2000; i++) {
		pipestats(&pipes, &waiting);
		if (waiting == VICTIMS)
			break;
		sys_yield();
	}
	CHECK_EQ(waiting, VICTIMS);
	for (int i = 0; i < FLOOD; i++) {
		kill(busy[i % BUSY], SIGUSR1);
		if (i % (FLOOD / VICTIMS) == FLOOD / VICTIMS - 1)
			kill(victim[i / (FLOOD / VICTIMS)], SIGUSR1);
	}
	/* Each victim's read returned EINTR, soon. */
	int intr = 0;
	for (int v = 0; v < VICTIMS; v++) {
		int st = status_soon(victim[v]);
		CHECK(st == 0);
	}
	char r;
	for (int v = 0; v < VICTIMS && read(done[0], &r, 1) == 1; v++)
		intr += r == 'i';
	printf("attack_proc: %d of %d victims saw EINTR through a flood of %d signals\n",
	       intr, VICTIMS, FLOOD);
	CHECK_EQ(intr, VICTIMS);
	for (int k = 0; k < BUSY; k++) {
		kill(busy[k], SIGKILL);
		status_of(busy[k]);
	}
	for (int v = 0; v < VICTIMS; v++)
		close(vp[v][1]);
	close(done[0]);
	signal(SIGUSR1, SIG_DFL);
}

/*
 * A signal racing the write that wakes a blocked reader: the read gives
 * the byte, or EINTR and the byte is still there for the next read;
 * never lost, never twice. And a writer killed while its reader wakes.
 */
void pipe_race(void)
{
	uint64_t pipes, waiting;

	signal(SIGUSR1, on_usr1);
	for (int i = 0; i < 60; i++) {
		int p[2], back[2];
		CHECK_EQ(pipe(p), 0);
		CHECK_EQ(pipe(back), 0);
		pid_t c = fork_again();
		if (c == 0) {
			struct sigaction sa = { .sa_handler = on_usr1 };
			char b = 0, got[4];
			int n = 0, intr = 0;
			sigaction(SIGUSR1, &sa, NULL);
			close(p[1]);
			close(back[0]);
			for (;;) {
				ssize_t r = read(p[0], &b, 1);
				if (r == 1 && n < 4)
					got[n++] = b;
				else if (r == -1 && errno == EINTR)
					intr++;
				else
					break;	/* EOF */
			}
			char rep[2] = { (char)n, n ? got[0] : 0 };
			write(back[1], rep, 2);
			_exit(intr > 1 ? 2 : 0);
		}
		CHECK(c > 0);
		close(p[0]);
		close(back[1]);
		for (volatile int k = 0; k < (i % 12) * 2500; k++)
			;
		if (i & 1) {
			CHECK_EQ(write(p[1], "z", 1), 1);
			kill(c, SIGUSR1);
		} else {
			kill(c, SIGUSR1);
			CHECK_EQ(write(p[1], "z", 1), 1);
		}
		close(p[1]);
		char rep[2] = { 0, 0 };
		CHECK_EQ(read(back[0], rep, 2), 2);
		if (rep[0] != 1 || rep[1] != 'z')
			printf("FAIL: round %d: the reader got %d byte(s)\n", i, rep[0]), t_failures++;
		CHECK_EQ(WEXITSTATUS(status_of(c)), 0);
		close(back[0]);
	}
	signal(SIGUSR1, SIG_DFL);
	/* A writer killed while its blocked reader is being woken. */
	for (int i = 0; i < 30; i++) {
		int p[2];
		CHECK_EQ(pipe(p), 0);
		pid_t r = fork_again();
		if (r == 0) {
			static char buf[70000];
			size_t got = 0;
			ssize_t n;
			close(p[1]);
			while ((n = read(p[0], buf, sizeof(buf))) > 0)
				got += (size_t)n;
			_exit(n == 0 && got <= sizeof(buf) ? 0 : 1);
		}
		pid_t w = fork_again();
		if (w == 0) {
			static char buf[65536];
			close(p[0]);
			for (;;)
				write(p[1], buf, sizeof(buf));
		}
		close(p[0]);
		close(p[1]);
		for (volatile int k = 0; k < (i % 10) * 4000; k++)
			;
		kill(w, SIGKILL);
		CHECK_EQ(WTERMSIG(status_of(w)), SIGKILL);
		kill(r, SIGKILL);	/* it may still be reading what was written */
		status_of(r);
	}
	pipestats(&pipes, &waiting);
	CHECK_EQ(pipes, 0);
	CHECK_EQ(waiting, 0);
}
