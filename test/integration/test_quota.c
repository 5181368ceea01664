/*
 * Kernel-memory quotas, each attack from an ordinary process (argv[1]):
 *   objects   for each kind of object (endpoint, notification, task,
 *             reply object, page tables of sparse maps) a child process
 *             makes them in a loop and keeps them: it stops at -ERR_NOMEM
 *             within its quota, and while it holds them, init and other
 *             processes still spawn, fork, fault and create objects. After
 *             each is killed the pool's free pages are back where they
 *             started. (Before, ~1,300 calls emptied the whole pool and the
 *             next process to fault died.)
 *   carve     a child process gives a task it made a quota: never more than
 *             it has left itself, never to a task it did not make; the
 *             task's page tables stop at its own limit; destroying it
 *             gives the carve back.
 *   fault     a child exhausts its quota, then faults in a region that
 *             needs a new page table: the pager's reply cannot be carried
 *             out, the process is ended (report line) and waitpid returns.
 *   orphan    a child makes an endpoint, hands it to init and exits: the
 *             endpoint outlives its creator (its account stays, pinned),
 *             still works, and when init closes it the creator's account
 *             and carve go back: the pool is where it started.
 *   donate N  (-m 2G) N live processes: the pager grows the kernel pool by
 *             donating frames (kmem_total_pages rises). An ordinary
 *             process may not donate (-ERR_PERM).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libsys.h"
#include "shadow.h"
#include "pool.h"
#include "t.h"

static uint8_t src_page[4096] __attribute__((aligned(4096)));

/* A sub-task to park granted handles in: 127 slots each. */
static int64_t holder, holder_used;

static int64_t park(int64_t h)
{
	int64_t r;

	if (!holder || holder_used == 120) {
		if ((holder = sys_task_create()) < 0)
			return holder;
		holder_used = 0;
	}
	r = sys_handle_grant((uint64_t)holder, (uint64_t)h, 0, RIGHTS_ALL);
	sys_handle_close((uint64_t)h);
	holder_used++;
	return r < 0 ? r : 0;
}

/* The reply attack's caller: calls our endpoint forever. */
static uint64_t caller_stack[512];

static void caller(uint64_t ep)
{
	struct ipc_msg m = { 0 };

	for (;;)
		ipc_call(ep, &m);
}

static int64_t make_one(const char *kind, uint64_t n)
{
	static int64_t ep, task;
	struct ipc_msg m = { 0 };
	int64_t h;

	if (!strcmp(kind, "endpoint"))
		return (h = sys_endpoint_create()) < 0 ? h : park(h);
	if (!strcmp(kind, "notif"))
		return (h = sys_notif_create()) < 0 ? h : park(h);
	if (!strcmp(kind, "task"))
		return (h = sys_task_create()) < 0 ? h : park(h);
	if (!strcmp(kind, "maps")) {	/* 1 GiB apart: two table pages each */
		if (!task && (task = sys_task_create()) < 0)
			return task;
		return sys_map((uint64_t)task, (uint64_t)src_page, (n + 1) << 30, MAP_R);
	}
	/* reply: each call's reply right kept as an object, answered, parked */
	if (!ep) {
		int64_t shadow = shadow_task_create(), slot;
		if ((ep = sys_endpoint_create()) < 0 || shadow < 0)
			return -1000;
		slot = sys_handle_grant((uint64_t)shadow, (uint64_t)ep, 0, RIGHTS_ALL);
		if (slot < 0 || shadow_thread((uint64_t)shadow, caller, (uint64_t)slot, caller_stack,
					      sizeof(caller_stack), 0, 0) < 0)
			return -1000;
		if (ipc_recv((uint64_t)ep, &m) < 0)
			return -1000;
	}
	if ((h = sys_reply_save()) < 0)
		return h;
	if (ipc_reply((uint64_t)h, &m) < 0)
		return -1001;
	if ((h = park(h)) < 0)
		return h;
	return ipc_recv((uint64_t)ep, &m) < 0 ? -1002 : 0;
}

/* The attacker: make `kind` until refused, check it is -ERR_NOMEM within
 * the quota, tell init, and hold everything until killed. */
static int attack(const char *kind, uint64_t ready)
{
	uint64_t n, limit = 0;
	int64_t r = 0, used;

	for (n = 0; n < 100000; n++)
		if ((r = make_one(kind, n)) < 0)
			break;
	used = sys_task_quota(0, -1, &limit);
	sys_notify(ready);	/* first: printing might need a page table */
	printf("quota: %s: refused after %lu with %ld; %ld of %lu pages used\n", kind,
	       (unsigned long)n, (long)r, (long)used, (unsigned long)limit);
	CHECK_EQ(r, -ERR_NOMEM);
	CHECK(n > 0 && n < 10000);
	CHECK(used > 0 && (uint64_t)used <= limit);
	for (;;)
		sys_yield();
	return 0;
}

/* Ordinary work, done while an attacker holds its whole quota: a forked
 * child faults in 64 pages and makes objects; init does the same. */
static void normal_work(void)
{
	int status = -1;
	int64_t pid = fork(), eps[40];

	if (pid == 0) {
		volatile uint8_t *p = mmap(NULL, 64 * 4096, PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(2);
		for (int i = 0; i < 64; i++)
			p[i * 4096] = (uint8_t)i;
		for (int i = 0; i < 40; i++)
			if ((eps[i] = sys_endpoint_create()) < 0)
				_exit(3);
		_exit(0);
	}
	CHECK(pid > 0);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	const char *argv[] = { "test_quota", "noop", NULL };
	pid = spawn(argv, 0);
	CHECK(pid > 0);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (int i = 0; i < 40; i++)
		CHECK((eps[i] = sys_endpoint_create()) > 0);
	for (int i = 0; i < 40; i++)
		CHECK_EQ(sys_handle_close((uint64_t)eps[i]), 0);
}

static void objects(void)
{
	static const char *const kinds[] = { "endpoint", "notif", "task", "reply", "maps" };
	struct kernel_info k0;
	int status;

	/* A first round warms the pager's and the pool's caches. */
	normal_work();
	CHECK_EQ(sys_kernel_info(&k0), 0);
	for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		int64_t ready = sys_notif_create(), pid;
		const char *argv[] = { "test_quota", "attack", kinds[i], NULL };
		CHECK(ready > 0);
		pid = spawn(argv, (uint64_t)ready);
		CHECK(pid > 0);
		CHECK(sys_wait((uint64_t)ready) > 0);
		normal_work();
		kill((pid_t)pid, SIGKILL);
		CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
		CHECK(WIFSIGNALED(status));
		CHECK_EQ(sys_handle_close((uint64_t)ready), 0);
		pool_back("quota", &k0);
	}
}

static void carve(void)
{
	uint64_t limit = 0, glimit = 0, n;
	int64_t used0 = sys_task_quota(0, -1, &limit), g = sys_task_create(), g2, used1, r = 0;
	struct task_info ti;

	CHECK(used0 > 0 && g > 0);
	printf("quota: carve: ours %ld of %lu pages\n", (long)used0, (unsigned long)limit);
	/* Not more than we have left, not our own, not below what g uses. */
	CHECK_EQ(sys_task_quota((uint64_t)g, (int64_t)limit + 1, NULL), -ERR_NOMEM);
	CHECK_EQ(sys_task_quota((uint64_t)g, (int64_t)(limit - (uint64_t)used0) + 1, NULL),
		 -ERR_NOMEM);
	CHECK_EQ(sys_task_quota(0, 1000, NULL), -ERR_PERM);
	int64_t ep = sys_endpoint_create();	/* bad arguments */
	CHECK_EQ(sys_task_quota((uint64_t)ep, -1, NULL), -ERR_BADF);
	CHECK_EQ(sys_task_quota(9999, -1, NULL), -ERR_BADF);
	CHECK_EQ(sys_task_quota((uint64_t)g, 1l << 50, NULL), -ERR_INVAL);
	CHECK_EQ(sys_handle_close((uint64_t)ep), 0);
	int64_t weak = sys_handle_grant(0, (uint64_t)g, 0, RIGHT_SEND);	/* no control */
	CHECK(weak > 0);
	CHECK_EQ(sys_task_quota((uint64_t)weak, 20, NULL), -ERR_PERM);
	CHECK(sys_task_quota((uint64_t)weak, -1, NULL) > 0);	/* reading needs none */
	CHECK_EQ(sys_handle_close((uint64_t)weak), 0);
	CHECK_EQ(sys_task_quota((uint64_t)g, 1, NULL), -ERR_INVAL);
	CHECK(sys_task_quota((uint64_t)g, 16, &glimit) > 0);
	CHECK_EQ(glimit, 16);
	CHECK_EQ(sys_task_info((uint64_t)g, &ti), 0);
	CHECK_EQ(ti.quota_own, 1);
	CHECK_EQ(ti.quota_limit, 16);
	used1 = sys_task_quota(0, -1, NULL);
	printf("quota: carve: gave 16 pages, ours now %ld used\n", (long)used1);
	CHECK(used1 > used0 && used1 <= used0 + 16);
	/* g2, made by us, is not g's child: g's limit is ours to change,
	 * g2's is not g's to take. Raising and lowering g works. */
	g2 = sys_task_create();
	CHECK(g2 > 0);
	CHECK(sys_task_quota((uint64_t)g, 20, NULL) > 0);
	CHECK(sys_task_quota((uint64_t)g, 16, NULL) > 0);
	/* g's page tables stop at g's 16 pages, not ours. */
	for (n = 0; n < 1000; n++)
		if ((r = sys_map((uint64_t)g, (uint64_t)src_page, (n + 1) << 30, MAP_R)) < 0)
			break;
	printf("quota: carve: maps into the grandchild refused after %lu (%ld)\n",
	       (unsigned long)n, (long)r);
	CHECK_EQ(r, -ERR_NOMEM);
	CHECK(n > 2 && n < 16);
	CHECK(sys_task_quota((uint64_t)g, -1, &glimit) > 8);
	CHECK_EQ(glimit, 16);
	CHECK_EQ(sys_task_quota((uint64_t)g, 8, NULL), -ERR_INVAL);	/* below its use */
	/* A process holding g with every right, but that did not make it,
	 * may read its quota and not set it (attack: a sibling or child given
	 * the handle would take our carve or starve g). */
	int64_t full = sys_handle_grant(0, (uint64_t)g, 0, RIGHTS_ALL), pid;
	const char *argv[] = { "test_quota", "carve-child", NULL };
	int status = -1;
	CHECK(full > 0);
	CHECK((pid = spawn(argv, (uint64_t)full)) > 0);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(sys_handle_close((uint64_t)full), 0);
	CHECK(sys_task_quota((uint64_t)g, -1, &glimit) > 8);
	CHECK_EQ(glimit, 16);
	/* Destroying g gives its carve back. */
	CHECK_EQ(sys_task_destroy((uint64_t)g), 0);
	CHECK_EQ(sys_handle_close((uint64_t)g), 0);
	CHECK_EQ(sys_task_destroy((uint64_t)g2), 0);
	CHECK_EQ(sys_handle_close((uint64_t)g2), 0);
	CHECK_EQ(sys_task_quota(0, -1, NULL), used0);
}

/* Exhaust our quota to the last 64 bytes (page tables of maps into a
 * sub-task, then endpoints), then touch a page that needs a new page
 * table: the pager's fault reply cannot be carried out. */
static int fault_nomem(void)
{
	volatile uint8_t *p = mmap(NULL, 16ul << 20, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int64_t r = 0, x;

	if (p == MAP_FAILED)
		return 2;
	p[0] = 1;
	if ((holder = sys_task_create()) < 0 || (x = sys_task_create()) < 0)
		return 3;
	for (uint64_t n = 0; n < 100000 && r >= 0; n++)	/* a leaf table each */
		r = sys_map((uint64_t)x, (uint64_t)src_page, (1ul << 30) + (n << 21), MAP_R);
	if (r != -ERR_NOMEM)
		return 4;
	r = 0;
	for (int n = 0; n < 100000 && r >= 0; n++)
		r = make_one("endpoint", (uint64_t)n);
	if (r != -ERR_NOMEM)
		return 5;
	p[10ul << 20] = 1;
	return 7;	/* not killed: the kernel had memory after all */
}

static void fault(void)
{
	struct kernel_info k0;
	int status = 0;
	const char *argv[] = { "test_quota", "fault-child", NULL };
	int64_t pid;

	normal_work();
	CHECK_EQ(sys_kernel_info(&k0), 0);
	pid = spawn(argv, 0);
	CHECK(pid > 0);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	printf("quota: fault child: %s %d\n", WIFSIGNALED(status) ? "killed by" : "exited",
	       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	pool_back("quota", &k0);
	normal_work();
}

static int orphan_child(uint64_t ep)
{
	struct ipc_msg m = { 0 };
	int64_t h = sys_endpoint_create();

	if (h < 0)
		return 2;
	m.info = ipc_info(1, 0, IPC_GRANT);
	m.w[5] = (uint64_t)h;
	return ipc_send(ep, &m) < 0 ? 3 : 0;
}

static void orphan(void)
{
	struct kernel_info k0;
	struct ipc_msg m = { 0 };
	const char *argv[] = { "test_quota", "orphan-child", NULL };
	int64_t ep, pid, got;
	int status = -1;

	normal_work();
	CHECK_EQ(sys_kernel_info(&k0), 0);
	ep = sys_endpoint_create();
	CHECK(ep > 0);
	CHECK_EQ(sys_ipc_recv_slot(100), 0);
	pid = spawn(argv, (uint64_t)ep);
	CHECK(pid > 0);
	CHECK_EQ(ipc_recv((uint64_t)ep, &m), 0);
	got = (int64_t)m.w[5];
	CHECK_EQ(got, 100);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Its creator is gone; the endpoint is not (a copy can be minted). */
	int64_t copy = sys_handle_grant(0, (uint64_t)got, 0, RIGHT_SEND);
	CHECK(copy > 0);
	CHECK_EQ(sys_handle_close((uint64_t)copy), 0);
	CHECK_EQ(sys_handle_close((uint64_t)got), 0);
	CHECK_EQ(sys_handle_close((uint64_t)ep), 0);
	pool_back("quota", &k0);
}

static void donate(int n)
{
	struct kernel_info k0, k1;
	int64_t pids[200];
	int status;

	CHECK(n > 0 && n <= 200);
	CHECK_EQ(sys_kmem_donate((uint64_t)src_page, 1), -ERR_PERM);	/* not the pager */
	CHECK_EQ(sys_kernel_info(&k0), 0);
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			for (;;)
				sys_yield();
		CHECK(pids[i] > 0);
	}
	CHECK_EQ(sys_kernel_info(&k1), 0);
	printf("quota: %d live processes: kernel pool %lu pages (was %lu)\n", n,
	       (unsigned long)k1.kmem_total_pages, (unsigned long)k0.kmem_total_pages);
	CHECK(k1.kmem_total_pages > k0.kmem_total_pages);
	for (int i = 0; i < n; i++) {
		CHECK_EQ(kill((pid_t)pids[i], SIGKILL), 0);
		CHECK_EQ(waitpid((pid_t)pids[i], &status, 0), pids[i]);
	}
	normal_work();
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "objects";

	src_page[0] = 1;	/* mapped: a source for SYS_MAP */
	if (!strcmp(what, "noop"))
		return 0;
	if (!strcmp(what, "attack") && argc > 2)
		return attack(argv[2], libsys_start_info.granted);
	if (!strcmp(what, "carve-child")) {	/* holds a task it did not make */
		uint64_t g = libsys_start_info.granted, lim = 0;
		return g && sys_task_quota(g, -1, &lim) > 0 && lim == 16 &&
		       sys_task_quota(g, 20, NULL) == -ERR_PERM &&
		       sys_task_quota(g, 1000000, NULL) == -ERR_PERM &&
		       sys_task_quota(g, 16, NULL) == -ERR_PERM ? 0 : 1;
	}
	if (!strcmp(what, "fault-child"))
		return fault_nomem();
	if (!strcmp(what, "orphan-child"))
		return orphan_child(libsys_start_info.granted);
	if (!strcmp(what, "objects"))
		objects();
	else if (!strcmp(what, "carve"))
		carve();
	else if (!strcmp(what, "fault"))
		fault();
	else if (!strcmp(what, "orphan"))
		orphan();
	else if (!strcmp(what, "donate"))
		donate(argc > 2 ? atoi(argv[2]) : 64);
	else
		CHECK(!"unknown mode");
	return t_done(!strcmp(what, "objects") ? "quota_objects" :
		      !strcmp(what, "carve") ? "quota_carve" :
		      !strcmp(what, "fault") ? "quota_fault" :
		      !strcmp(what, "orphan") ? "quota_orphan" : "quota_donate");
}
