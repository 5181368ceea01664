/*
 * The console driver (servers/console) under attack, and under a flood
 * of input. Run as init (it holds the UART) by test/console-run.sh,
 * which types into QEMU's stdin when this prints "console-test: send
 * input":
 *   - unprivileged clients (children holding only a badged client
 *     handle) send bad messages: unknown labels, payloads, counts of 0,
 *     past the limit and huge, unknown modes, setup, stray handle
 *     grants by the hundred: each gets its error and the driver serves on;
 *     a handle with a badge past the client range is refused;
 *   - one client's second read takes its first's place (-ERR_BUSY), and a
 *     reader killed while waiting takes no input with it;
 *   - 20,000 bytes arrive while nobody reads: the driver's ring fills,
 *     it stops taking input (flow control, no interrupt storm), and then
 *     every byte is read back in order, with none lost; line reads.
 * Modes (argv[1]): none (the test), "evil" and "reader" (children).
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include "libsys.h"
#include "abi/console.h"
#include "t.h"

#define FLOOD		20000	/* pattern bytes the script sends */
#define TIMEBASE_HZ	10000000ul	/* QEMU virt's */

static uint8_t buf[CONSOLE_READ_MAX];

static uint64_t now(void)
{
	uint64_t t;
	__asm__ volatile("rdtime %0" : "=r"(t));
	return t;
}

/* A raw call: the result word, or the call's own error. */
static int64_t raw(uint64_t h, uint64_t label, uint64_t len, uint64_t flags, uint64_t w0,
		   uint64_t w1, uint64_t w5)
{
	struct ipc_msg m = { .info = ipc_info(label, len, flags), .w = { w0, w1, 0, 0, 0, w5 } };
	int64_t r = ipc_call(h, &m);

	return r < 0 ? r : (int64_t)m.w[0];
}

static int evil(uint64_t h)
{
	struct console_info ci;

	CHECK_EQ(console_info(h, &ci), 0);
	uint64_t refused = ci.refused;
	CHECK_EQ(raw(h, 0, 0, 0, 0, 0, 0), -ERR_NOSYS);
	CHECK_EQ(raw(h, 99, 0, 0, 0, 0, 0), -ERR_NOSYS);
	CHECK_EQ(raw(h, 1ul << 40, 0, 0, 0, 0, 0), -ERR_NOSYS);
	CHECK_EQ(raw(h, CONSOLE_IRQ, 0, 0, 0, 0, 0), -ERR_NOSYS);	/* not the relay */
	/* Counts and modes. */
	CHECK_EQ(raw(h, CONSOLE_READ, 0, 0, 0, 0, 0), -ERR_INVAL);
	CHECK_EQ(raw(h, CONSOLE_READ, 0, 0, CONSOLE_READ_MAX + 1, 0, 0), -ERR_INVAL);
	CHECK_EQ(raw(h, CONSOLE_READ, 0, 0, ~0ul, 0, 0), -ERR_INVAL);
	CHECK_EQ(raw(h, CONSOLE_READ, 0, 0, 1ul << 63, CONSOLE_MODE_LINE, 0), -ERR_INVAL);
	CHECK_EQ(raw(h, CONSOLE_READ, 0, 0, 10, 4, 0), -ERR_INVAL);
	CHECK_EQ(raw(h, CONSOLE_READ, 0, 0, 10, ~0ul, 0), -ERR_INVAL);
	/* Payloads: no request has one. */
	memset(ipcbuf(), 'x', IPC_BUF_SIZE);
	CHECK_EQ(raw(h, CONSOLE_READ, 1, 0, 10, 0, 0), -ERR_INVAL);
	CHECK_EQ(raw(h, CONSOLE_READ, IPC_BUF_SIZE, 0, 10, 0, 0), -ERR_INVAL);
	CHECK_EQ(raw(h, CONSOLE_INFO, 64, 0, 0, 0, 0), -ERR_INVAL);
	CHECK(raw(h, CONSOLE_INFO, IPC_BUF_SIZE + 1, 0, 0, 0, 0) < 0);
	/* Setup is the starter's. */
	CHECK_EQ(raw(h, CONSOLE_SETUP_DEVICE, 0, IPC_GRANT, 0, 0, h), -ERR_PERM);
	CHECK_EQ(raw(h, CONSOLE_SETUP_IRQ, 0, 0, 0, 0, 0), -ERR_PERM);
	/* Stray grants: refused and closed, so the driver's table never
	 * fills (it has 127 slots). */
	for (int i = 0; i < 300; i++) {
		int64_t r = raw(h, CONSOLE_INFO, 0, IPC_GRANT, 0, 0, h);
		if (r != -ERR_INVAL) {
			CHECK_EQ(r, -ERR_INVAL);
			break;
		}
	}
	/* No input yet: a read that may not wait. */
	CHECK_EQ(console_read(h, buf, 10, CONSOLE_MODE_NOWAIT), -ERR_AGAIN);
	CHECK_EQ(console_read(h, buf, 10, CONSOLE_MODE_NOWAIT | CONSOLE_MODE_LINE), -ERR_AGAIN);
	/* And the driver still serves, having counted every refusal. */
	CHECK_EQ(console_info(h, &ci), 0);
	CHECK_EQ(ci.magic, CONSOLE_MAGIC);
	CHECK(ci.refused >= refused + 300 + 15);
	CHECK_EQ(ci.waiting, 0);
	return t_failures ? 1 : 0;
}

/* Wait for input: exits with 100 + the bytes read, or the error. */
static int reader(uint64_t h)
{
	int64_t r = console_read(h, buf, 10, CONSOLE_MODE_BYTES);

	return r < 0 ? (int)-r : 100 + (int)r;
}

static int64_t spawn_mode(const char *mode, uint64_t h)
{
	const char *argv[] = { "test_console", mode, NULL };

	return spawn(argv, h);
}

static int exit_code(int64_t pid)
{
	int status = -1;

	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + status;
}

/* Until the driver has n readers waiting (or 5 s). */
static void wait_waiting(uint64_t ep, uint64_t n)
{
	struct console_info ci = { 0 };
	uint64_t end = now() + 5 * TIMEBASE_HZ;

	while (console_info(ep, &ci) == 0 && ci.waiting != n && now() < end)
		sys_yield();
	CHECK_EQ(ci.waiting, n);
}

static void attacks(uint64_t ep)
{
	int64_t h, pid_a, pid_b;
	struct console_info ci;

	/* Bad messages from an unprivileged client. */
	CHECK((h = console_client(ep, 2)) > 0);
	CHECK((pid_a = spawn_mode("evil", (uint64_t)h)) > 0);
	CHECK_EQ(exit_code(pid_a), 0);
	sys_handle_close((uint64_t)h);
	/* A badge past the client range. */
	CHECK((h = sys_handle_grant(0, ep, 100, RIGHT_SEND)) > 0);
	CHECK_EQ(raw((uint64_t)h, CONSOLE_INFO, 0, 0, 0, 0, 0), -ERR_PERM);
	CHECK_EQ(raw((uint64_t)h, CONSOLE_READ, 0, 0, 10, 0, 0), -ERR_PERM);
	sys_handle_close((uint64_t)h);
	CHECK_EQ(console_client(ep, CONSOLE_MAX_CLIENTS), -ERR_INVAL);
	/* Setup again, once running: refused. */
	const struct proc_start *ps = &libsys_start_info;
	CHECK(ps->ndevices > 0);
	CHECK_EQ(raw(ep, CONSOLE_SETUP_DEVICE, 0, IPC_GRANT, 0, 0, ps->devices[0].device),
		 -ERR_PERM);
	/* Two readers of one client: the second takes the first's place. */
	CHECK((h = console_client(ep, 3)) > 0);
	CHECK((pid_a = spawn_mode("reader", (uint64_t)h)) > 0);
	wait_waiting(ep, 1);
	CHECK((pid_b = spawn_mode("reader", (uint64_t)h)) > 0);
	CHECK_EQ(exit_code(pid_a), ERR_BUSY);
	wait_waiting(ep, 1);
	/* The waiting reader is killed: its read stays parked until input
	 * comes, and then takes nothing. */
	CHECK_EQ(kill((int)pid_b, SIGKILL), 0);
	CHECK(exit_code(pid_b) >= 1000);	/* killed, not exited */
	sys_handle_close((uint64_t)h);
	CHECK_EQ(console_info(ep, &ci), 0);
	CHECK_EQ(ci.buffered, 0);
	CHECK_EQ(ci.waiting, 1);
}

static void flood(uint64_t ep)
{
	struct console_info ci = { 0 };
	uint64_t end, total = 0;
	int64_t r;

	printf("console-test: send input\n");
	/* Nobody reads: the ring fills and the driver stops taking input. */
	end = now() + 20 * TIMEBASE_HZ;
	while (console_info(ep, &ci) == 0 && ci.buffered < CONSOLE_RING && now() < end)
		sys_yield();
	CHECK_EQ(ci.buffered, CONSOLE_RING);
	CHECK_EQ(ci.received, CONSOLE_RING);
	CHECK_EQ(ci.waiting, 0);	/* the dead reader's read was dropped */
	end = now() + TIMEBASE_HZ / 5;
	while (now() < end)
		sys_yield();
	CHECK_EQ(console_info(ep, &ci), 0);
	CHECK_EQ(ci.received, CONSOLE_RING);	/* held back, not taken and dropped */
	/* Every byte, in order. */
	while (total < FLOOD) {
		uint64_t want = FLOOD - total < CONSOLE_READ_MAX ? FLOOD - total : CONSOLE_READ_MAX;
		if ((r = console_read(ep, buf, want, CONSOLE_MODE_BYTES)) <= 0) {
			CHECK(r > 0);
			break;
		}
		CHECK((uint64_t)r <= want);
		for (int64_t i = 0; i < r; i++, total++) {
			if (buf[i] != 'a' + total % 26) {
				printf("FAIL: byte %lu is %u\n", (unsigned long)total, buf[i]);
				t_failures++;
				return;
			}
		}
	}
	/* "tail line\n" in line mode: a count shorter than the line gives
	 * its start, then the rest up to and including the line end. */
	CHECK_EQ(console_read(ep, buf, 4, CONSOLE_MODE_LINE), 4);
	CHECK(!memcmp(buf, "tail", 4));
	CHECK_EQ(console_read(ep, buf, 100, CONSOLE_MODE_LINE), 6);
	CHECK(!memcmp(buf, " line\n", 6));
	CHECK_EQ(console_read(ep, buf, 100, CONSOLE_MODE_NOWAIT), -ERR_AGAIN);
	CHECK_EQ(console_info(ep, &ci), 0);
	CHECK_EQ(ci.received, FLOOD + 10);
	CHECK_EQ(ci.buffered, 0);
}

int main(int argc, char **argv)
{
	const struct proc_start *ps = &libsys_start_info;
	int64_t ep;

	if (argc > 1 && !strcmp(argv[1], "evil"))
		return evil(ps->granted);
	if (argc > 1 && !strcmp(argv[1], "reader"))
		return reader(ps->granted);
	CHECK((ep = console_spawn(ps->devices, ps->ndevices, NULL)) > 0);
	if (ep <= 0)
		return t_done("console attack");
	attacks((uint64_t)ep);
	flood((uint64_t)ep);
	return t_done("console attack");
}
