/*
 * The fuzzer's custom-pager class (FZ_FAULT): the child creates a task
 * and up to GUESTS threads in it whose pager endpoint it holds, and
 * answers their faults with random replies (maps of good and bad pages,
 * bad rights, resumes, kills, unknown labels, payloads, handle grants),
 * through SYS_IPC_REPLY_RECV, SYS_IPC_REPLY on the thread or on a reply
 * handle saved with SYS_REPLY_SAVE, or not at all (a deferred caller left
 * blocked until the task is destroyed). A quarter of its operations are
 * thread control on a guest (guest_control): suspend, resume, registers,
 * pager.
 *
 * The guest threads run guest_entry (fuzz_guest.c), a loop that loads,
 * stores or jumps at random in its data window and, at least every 8th
 * iteration, wherever it is entered, loads from a page it never touched
 * (or runs an illegal instruction, a dead end: a resumed thread runs it
 * again, as it does an ebreak, until it is killed): a live guest thread
 * not waiting for us always faults soon. So we receive only while one is
 * (SYS_TASK_INFO's live-thread count minus those waiting, suspended or
 * with no pager of ours), and never block for good. With FZ_DERIVED a
 * probe guest reads where the task still maps a page we have unmapped
 * (fuzz_pager.c, watch_reuse).
 */
#include <stdio.h>
#include "abi/fault.h"
#include "fuzz.h"

#define GUESTS		4
#define GUEST_DATA	0x40000000ul	/* the guest's 64-page data window */

enum { G_FREE, G_RUN, G_WAIT };
/*
 * A guest thread: G_RUN (running, or its fault not yet received: it
 * faults soon, unless suspended or set to fault to no pager), or G_WAIT
 * (we received its fault; the answer goes through reply_recv while linked,
 * else through its thread handle or a reply handle we saved). Faults come
 * with badge, or with old_badge if sent before a SYS_THREAD_SET_PAGER.
 */
static struct guest {
	int64_t th, reply;
	int state, probe, suspended, nopager;
	uint64_t badge, old_badge;
} guests[GUESTS];
static int64_t gtask, gep;
static int linked = -1;		/* the guest our last receive linked, or -1 */
static int lost;		/* the task's or endpoint's handle was closed */

void fz_fault_forget(uint64_t h)
{
	for (int i = 0; i < GUESTS; i++) {
		if (guests[i].th == (int64_t)h)
			guests[i].th = 0;	/* can no longer be replied to */
		if (guests[i].reply == (int64_t)h)
			guests[i].reply = 0;	/* the guest dies, unless a copy lives */
	}
	if ((int64_t)h == gtask || (int64_t)h == gep)
		lost = 1;
	if ((int64_t)h == gtask)
		gtask = 0;
	if ((int64_t)h == gep)
		gep = 0;
}

static void free_guest(struct fz *f, int i)
{
	if (guests[i].th > 0)
		fz_close(f, (uint64_t)guests[i].th);
	if (guests[i].reply > 0)
		fz_close(f, (uint64_t)guests[i].reply);
	guests[i] = (struct guest){ 0 };
}

static void teardown(struct fz *f)
{
	if (gtask > 0) {
		sys_task_destroy((uint64_t)gtask);
		fz_close(f, (uint64_t)gtask);
	}
	if (gep > 0)
		fz_close(f, (uint64_t)gep);
	for (int i = 0; i < GUESTS; i++)
		free_guest(f, i);
	gtask = gep = 0;
	f->given_at = f->probe_at = 0;	/* the task with the copy is gone */
	linked = -1;
	lost = 0;
}

static int setup(struct fz *f)
{
	int64_t code = (int64_t)fz_guest_page();

	if (f->nobjects + 2 + GUESTS > FZ_HANDLES - 8)
		return -1;
	(void)*(volatile uint32_t *)code;	/* only a present page can be given */
	gtask = sys_task_create();
	fz_track(f, gtask, HK_GUEST_TASK);
	gep = sys_endpoint_create();
	fz_track(f, gep, HK_GUEST_EP);
	if (gtask < 0 || gep < 0 ||
	    sys_map((uint64_t)gtask, (uint64_t)code, (uint64_t)code, MAP_R | MAP_X) < 0) {
		teardown(f);
		return -1;
	}
	return 0;
}

/* A random fault reply to a fault at addr. */
static void random_reply(struct fz *f, struct ipc_msg *m, uint64_t addr)
{
	uint64_t label, k = fz_below(f, 20);

	label = k < 12 ? FAULT_REPLY_MAP : k < 15 ? FAULT_REPLY_RESUME : k < 17 ? FAULT_REPLY_KILL :
		fz_chance(f, 2) ? fz_below(f, 8) : fz_rand(f) >> 16;
	for (int i = 0; i < IPC_WORDS; i++)
		m->w[i] = fz_word(f);
	fz_map_args(f, &m->w[0], &m->w[2]);
	switch (fz_below(f, 6)) {
	case 0: case 1: case 2:
		m->w[1] = addr & ~(PAGE_SIZE - 1);
		break;
	case 3:
		m->w[1] = GUEST_DATA + PAGE_SIZE * fz_below(f, 64);
		break;
	case 4:
		m->w[1] = fz_page(f);
		break;
	default:	/* over the guest's code: only pages that fault at once */
		m->w[1] = fz_guest_page();
		m->w[0] = fz_chance(f, 2) ? (uint64_t)fz_zero_page : (uint64_t)fz_ones_page;
		m->w[2] &= ~(uint64_t)MAP_W;
		break;
	}
	/* A run of pages from a safe one would go on into our program's
	 * code: a guest running that could loop without a fault. */
	if (label == FAULT_REPLY_MAP_RUN)
		m->w[2] &= ~(uint64_t)MAP_X;
	m->info = (fz_info(f, 1) & ~(~0ul << IPC_LABEL_SHIFT)) | (label << IPC_LABEL_SHIFT);
	if (f->given && m->w[0] == f->given && label == FAULT_REPLY_MAP && m->w[1] < USER_TOP &&
	    !(m->w[1] & (PAGE_SIZE - 1)) && (m->w[2] & MAP_R))
		f->given_at = m->w[1];	/* the guests' copy of our page */
	if (m->info & IPC_GRANT)
		m->w[5] = fz_handle(f);	/* lands in the guest task's table */
}

/* A new guest thread: the loop, or (FZ_DERIVED, once the page given to
 * the task has been unmapped) a probe that reads where it was mapped. */
static void new_guest(struct fz *f)
{
	for (int i = 0; i < GUESTS; i++) {
		if (guests[i].state != G_FREE)
			continue;
		uint64_t badge = (fz_rand(f) << 8) | (uint64_t)(i + 1);
		uint64_t pc = fz_guest_page(), arg = fz_rand(f);
		int probe = 0;
		if (f->probe_at && f->watched) {
			pc = fz_guest_probe();
			arg = f->probe_at;
			f->probe_at = 0;
			probe = 1;
		}
		int64_t th = sys_thread_create((uint64_t)gtask, pc, fz_word(f), arg, (uint64_t)gep,
					       badge);
		if (th < 0) {
			teardown(f);
			return;
		}
		fz_track(f, th, HK_GUEST_THREAD);
		free_guest(f, i);	/* a killed guest's handles */
		guests[i] = (struct guest){ .th = th, .state = G_RUN, .probe = probe,
					    .badge = badge, .old_badge = badge };
		return;
	}
	teardown(f);	/* every slot used and none running */
}

/* What a reply does to guest i's state: a kill ends it; anything else
 * resumes it or (if the kernel refuses the reply) ends it, which the live
 * count shows. */
static void replied(int i, uint64_t info)
{
	if (i < 0 || i >= GUESTS)
		return;
	guests[i].state = ipc_label(info) == FAULT_REPLY_KILL ? G_FREE : G_RUN;
}

/* The guest a badge names (the whole badge: a slot's earlier thread had
 * another), if it is running. */
static int guest_of(uint64_t badge)
{
	int i = (int)(badge & 0xff) - 1;

	return i >= 0 && i < GUESTS && guests[i].state == G_RUN &&
	       (guests[i].badge == badge || guests[i].old_badge == badge) ? i : -1;
}

/* The guest a death message names, in any state. */
static int dead_guest(uint64_t badge)
{
	int i = (int)(badge & 0xff) - 1;

	return i >= 0 && i < GUESTS && guests[i].state != G_FREE &&
	       (guests[i].badge == badge || guests[i].old_badge == badge) ? i : -1;
}

static void ftrace(struct fz *f, const char *what, const struct ipc_msg *m, int i, int live)
{
	if (!(f->classes & FZ_TRACE))
		return;
	printf("fuzz: op %llu fault %s guest %d live %d info %#llx w %#llx %#llx %#llx\n",
	       (unsigned long long)f->ops, what, i, live, (unsigned long long)m->info,
	       (unsigned long long)m->w[0], (unsigned long long)m->w[1],
	       (unsigned long long)m->w[2]);
	fflush(stdout);
}

static void check_fault(struct fz *f, const struct ipc_msg *m)
{
	if ((m->info & IPC_KERNEL) && ipc_label(m->info) == FAULT_LABEL &&
	    m->w[3] >= FAULT_KIND_PAGE && m->w[3] <= FAULT_KIND_ACCESS)
		return;
	f->failed++;
	printf("FAIL: fuzz: op %llu: a guest sent info %#llx kind %llu, not a fault\n",
	       (unsigned long long)f->ops, (unsigned long long)m->info,
	       (unsigned long long)m->w[3]);
	fflush(stdout);
}

/* Registers for a suspended guest: the loop's entry (either of its first
 * two instructions: every register it reads it sets first), a page of the
 * data window or anywhere (a page's start: the loop's, or one that
 * faults), or a pc past user space; the rest random. */
static uint64_t guest_regs(struct fz *f)
{
	static struct user_regs regs;

	if (fz_chance(f, 16))
		return fz_rptr(f);
	for (int i = 1; i < 32; i++)
		regs.x[i] = fz_word(f);
	switch (fz_below(f, 6)) {
	case 0: case 1:
		regs.x[0] = fz_guest_page() + 4 * fz_below(f, 2);
		break;
	case 2:
		regs.x[0] = GUEST_DATA + PAGE_SIZE * fz_below(f, 64);
		break;
	case 3:
		regs.x[0] = fz_page(f) & ~(PAGE_SIZE - 1);
		break;
	case 4:
		regs.x[0] = USER_TOP + PAGE_SIZE * fz_below(f, 2);
		break;
	default:
		regs.x[0] = ~0ul - PAGE_SIZE + 1;
		break;
	}
	return (uint64_t)&regs;
}

/*
 * Thread control on a guest, running, faulting (its fault queued or
 * received) or suspended: suspend, resume, read and write its registers,
 * set its pager. What the live count needs is kept: a suspended running
 * guest sends nothing; one with no pager (or a pager not ours) dies at
 * its next fault, silently; a new badge only while no fault of the guest
 * is queued with the old one (it waits for us, or is suspended, which
 * takes a queued fault back).
 */
static void guest_control(struct fz *f)
{
	int i = (int)fz_below(f, GUESTS);
	struct guest *g = &guests[i];
	uint64_t a[3] = { (uint64_t)g->th, 0, 0 }, nr, badge = g->badge;
	int64_t r;

	if (g->state == G_FREE || g->th <= 0)
		return;
	switch (fz_below(f, 8)) {
	case 0:
		nr = SYS_THREAD_SUSPEND;
		break;
	case 1: case 2:
		nr = SYS_THREAD_RESUME;
		break;
	case 3:
		nr = SYS_THREAD_REGS_READ;
		a[1] = fz_wptr_n(f, sizeof(struct user_regs));
		break;
	case 4: case 5:
		nr = SYS_THREAD_REGS_WRITE;
		a[1] = guest_regs(f);
		break;
	default:
		nr = SYS_THREAD_SET_PAGER;
		switch (fz_below(f, 4)) {
		case 0:
			a[1] = 0;
			break;
		case 1:
			a[1] = fz_nonblocking_handle(f);	/* no endpoint: refused */
			break;
		default:
			a[1] = (uint64_t)gep;
			if ((g->state == G_WAIT || g->suspended) && fz_chance(f, 2))
				badge = (fz_rand(f) << 8) | (uint64_t)(i + 1);
			break;
		}
		a[2] = badge;
		break;
	}
	if (f->classes & FZ_TRACE) {
		printf("fuzz: op %llu guest %d state %d%s%s sys %llu %#llx %#llx %#llx\n",
		       (unsigned long long)f->ops, i, g->state, g->suspended ? " suspended" : "",
		       g->nopager ? " nopager" : "", (unsigned long long)nr,
		       (unsigned long long)a[0], (unsigned long long)a[1], (unsigned long long)a[2]);
		fflush(stdout);
	}
	r = syscall6(nr, a[0], a[1], a[2], 0, 0, 0);
	if (r == -ERR_SRCH) {		/* dead: its death message may be gone with */
		if (g->nopager)		/* its pager; a slot for a new one */
			free_guest(f, i);
		return;
	}
	if (r < 0 && r != -ERR_FAULT && r != -ERR_INVAL && r != -ERR_BUSY && r != -ERR_BADF) {
		f->failed++;
		printf("FAIL: fuzz: op %llu: thread control %llu of guest %d returned %lld\n",
		       (unsigned long long)f->ops, (unsigned long long)nr, i, (long long)r);
		fflush(stdout);
	}
	if (r < 0)
		return;
	if (nr == SYS_THREAD_SUSPEND)
		g->suspended = 1;
	else if (nr == SYS_THREAD_RESUME)
		g->suspended = 0;
	else if (nr == SYS_THREAD_SET_PAGER) {
		g->nopager = a[1] != (uint64_t)gep;
		g->old_badge = g->badge;
		g->badge = badge;
	}
}

/* A G_WAIT guest, answered through its thread handle or a reply handle we
 * saved, or left to die by closing the reply handle. */
static void answer_waiting(struct fz *f, int i, int live)
{
	struct guest *g = &guests[i];
	struct ipc_msg m;
	int64_t r;

	if (g->reply > 0 && fz_chance(f, 8)) {
		fz_close(f, (uint64_t)g->reply);	/* the guest dies (a copy may live) */
		return;
	}
	random_reply(f, &m, GUEST_DATA);
	ftrace(f, g->reply > 0 ? "reply(cap)" : "reply", &m, i, live);
	if (g->reply > 0 && !fz_chance(f, 4))
		r = ipc_reply((uint64_t)g->reply, &m);
	else if (g->th > 0)
		r = ipc_reply((uint64_t)g->th, &m);
	else
		return;
	if (r == 0)
		replied(i, m.info);
	if (linked == i)
		linked = -1;
}

/* SYS_REPLY_SAVE's result, from the syscall class or ours: the reply
 * handle of the guest we are linked to, or of a caller that is none of
 * ours (a thread the syscall class pointed at us). */
void fz_fault_reply_saved(struct fz *f, int64_t h)
{
	if (h <= 0)
		return;
	if (linked < 0) {
		fz_track(f, h, HK_REPLY);
		return;
	}
	if (guests[linked].reply > 0)	/* spent: the guest was answered */
		fz_close(f, (uint64_t)guests[linked].reply);
	fz_track(f, h, HK_GUEST_REPLY);
	guests[linked].reply = h;
	linked = -1;
}

void fz_fault_op(struct fz *f)
{
	struct task_info ti;
	struct ipc_msg m;
	int waiting = 0, quiet = 0, live, i;
	int64_t r;

	if (lost) {
		teardown(f);
		return;
	}
	fz_guest_sys = (f->classes & FZ_GUEST_SYS) != 0;
	if (!gtask && setup(f) < 0)
		return;
	if (sys_task_info((uint64_t)gtask, &ti) < 0 || fz_chance(f, 512)) {
		teardown(f);	/* closed or destroyed by the syscall class, or now */
		return;
	}
	if (fz_chance(f, 4)) {
		guest_control(f);
		return;
	}
	for (i = 0; i < GUESTS; i++) {
		waiting += guests[i].state == G_WAIT;
		quiet += guests[i].state == G_RUN && (guests[i].suspended || guests[i].nopager);
	}
	/* Running guests: each faults soon. */
	live = (int)ti.nthreads - waiting - quiet;
	if (f->probe_at) {
		for (i = 0; i < GUESTS && guests[i].state != G_FREE; i++)
			;
		if (i < GUESTS) {
			new_guest(f);
			return;
		}
	}
	if (live <= 0) {
		int start = (int)fz_below(f, GUESTS);
		for (i = 0; i < GUESTS && guests[(start + i) % GUESTS].state != G_WAIT; i++)
			;
		if (i == GUESTS || fz_chance(f, 2)) {
			ftrace(f, "new", &m, i, live);
			new_guest(f);
			return;
		}
		answer_waiting(f, (start + i) % GUESTS, live);
		return;
	}
	if (linked >= 0 && fz_chance(f, 8)) {
		ftrace(f, "save", &m, linked, live);
		r = sys_reply_save();
		fz_fault_reply_saved(f, r);
		return;
	}
	if (linked >= 0 && fz_chance(f, 2)) {
		random_reply(f, &m, GUEST_DATA + PAGE_SIZE * fz_below(f, 64));
		int was = linked;
		uint64_t info = m.info;
		ftrace(f, "reply_recv", &m, was, live);
		r = ipc_reply_recv((uint64_t)gep, &m);
		if (r == -ERR_INVAL || r == -ERR_FAULT)
			return;		/* a bad payload: nothing happened */
		replied(was, info);
	} else {
		ftrace(f, "recv", &m, linked, live);
		r = ipc_recv((uint64_t)gep, &m);	/* a linked guest is deferred */
	}
	linked = -1;
	if (r < 0) {
		teardown(f);
		return;
	}
	if ((m.info & IPC_GRANT) && (int64_t)m.w[5] > 0)
		fz_track(f, (int64_t)m.w[5], HK_OTHER);	/* SYS_IPC_RECV_SLOT let it in */
	/* A death message: no caller to answer. A guest that a refused
	 * reply or a closed reply handle ended frees its slot here. */
	if ((m.info & IPC_KERNEL) && ipc_label(m.info) == THREAD_EXIT_LABEL) {
		i = dead_guest(m.badge);
		ftrace(f, "death", &m, i, (int)m.badge);
		if (i >= 0)
			free_guest(f, i);
		return;
	}
	i = guest_of(m.badge);
	ftrace(f, "got", &m, i, (int)m.badge);
	if (i < 0)
		return;		/* a thread the syscall class pointed at us: left blocked */
	check_fault(f, &m);
	f->faults++;
	if (guests[i].probe && f->watched && m.w[0] == f->marker) {
		f->failed++;
		printf("FAIL: fuzz: op %llu: a guest read our page %#llx through its mapping of "
		       "the page we had given it and then unmapped: a frame outlived its "
		       "mapping\n", (unsigned long long)f->ops, (unsigned long long)f->watched);
		fflush(stdout);
		f->watched = 0;
	}
	guests[i].state = G_WAIT;
	linked = i;
}
