/*
 * The fuzzer's custom-pager class (FZ_FAULT): the child creates a task
 * and up to GUESTS threads in it whose pager endpoint it holds, and
 * answers their faults with random replies (maps of good and bad pages,
 * bad rights, resumes, kills, unknown labels, payloads, handle grants),
 * through SYS_IPC_REPLY_RECV, SYS_IPC_REPLY, or not at all (a deferred
 * caller left blocked until the task is destroyed).
 *
 * The guest threads run guest_entry, a loop that loads, stores or jumps
 * at random in its data window and, at least every 8th iteration,
 * wherever it is entered, loads from a page it never touched (or runs an
 * illegal instruction, a dead end: a resumed thread runs it again, as it
 * does an ebreak, until it is killed): a live guest thread
 * not waiting for us always faults soon. So we receive only while one is
 * (SYS_TASK_INFO's live-thread count minus those waiting), and never
 * block for good. With FZ_DERIVED a probe guest reads where the task
 * still maps a page we have unmapped (fuzz_sys.c, watch_reuse).
 */
#include <stdio.h>
#include "abi/fault.h"
#include "fuzz.h"

#define GUESTS		4
#define GUEST_DATA	0x40000000ul	/* the guest's 64-page data window */

/*
 * The guest loop, in two flavours: GUEST_LOOP(name, syscalls). A step is
 * a load, a store, a jump or a fourth kind: a breakpoint one time in
 * eight, else nothing, or with syscalls (FZ_GUEST_SYS) an ecall from a
 * table of calls that cannot block (no IPC, no wait, no
 * thread exit or creation, so the live count above stays true), on the
 * guest task's own handles and its data window: guests then make tasks,
 * grant handles between them and destroy them, deeper in the task tree
 * than this child can reach itself.
 */
#define GUEST_LOOP(name, sys)							\
	".pushsection .text.fuzzguest, \"ax\"\n"				\
	".option push\n"							\
	".option norvc\n"		/* every 4-byte step is an instruction */\
	".option norelax\n"							\
	".balign 4096\n"							\
	".globl " name "\n"							\
	name ":\n"								\
	"	ori a0, a0, 1\n"	/* xorshift state: never 0 */		\
	"1:	slli t0, a0, 13\n"						\
	"	xor a0, a0, t0\n"						\
	"	srli t0, a0, 7\n"						\
	"	xor a0, a0, t0\n"						\
	"	slli t0, a0, 17\n"						\
	"	xor a0, a0, t0\n"						\
	"	addi s1, s1, 1\n"						\
	"	andi t0, s1, 7\n"						\
	"	beqz t0, 9f\n"							\
	"	srli t1, a0, 20\n"	/* page (a0 >> 20) & 63 of the window */\
	"	andi t1, t1, 63\n"						\
	"	slli t1, t1, 12\n"						\
	"	li t2, 0x40000000\n"						\
	"	add t1, t1, t2\n"						\
	"	srli t2, a0, 40\n"	/* offset 0..7: misaligned at times */	\
	"	andi t2, t2, 7\n"						\
	"	andi t0, a0, 3\n"						\
	"	beqz t0, 2f\n"							\
	"	addi t0, t0, -1\n"						\
	"	beqz t0, 3f\n"							\
	"	addi t0, t0, -1\n"						\
	"	beqz t0, 4f\n"							\
	"	srli t0, a0, 61\n"	/* 1 in 8: a breakpoint, a dead end */	\
	"	beqz t0, 8f\n"							\
	"	li t0, " #sys "\n"						\
	"	bnez t0, 5f\n"							\
	"	j 1b\n"								\
	"8:	ebreak\n"							\
	"	j 1b\n"								\
	"2:	add t1, t1, t2\n"						\
	"	ld t3, 0(t1)\n"							\
	"	j 1b\n"								\
	"3:	sd a0, 0(t1)\n"	/* a page's first word, never 0: */	\
	"	sd a0, 8(t1)\n"	/* a stray store shows */		\
	"	j 1b\n"								\
	"4:	andi t2, t2, 4\n"	/* a jump: to an instruction boundary */\
	"	add t1, t1, t2\n"						\
	"	jalr ra, 0(t1)\n"						\
	"	j 1b\n"								\
	"5:	mv s3, a0\n"							\
	"	srli t0, a0, 24\n"						\
	"	andi t0, t0, 15\n"						\
	"	lla t2, 7f\n"		/* pc-relative: works at any address */\
	"	add t2, t2, t0\n"						\
	"	lbu t0, 0(t2)\n"						\
	"	srli a1, s3, 40\n"	/* a second handle, or the window page */\
	"	andi a1, a1, 127\n"						\
	"	andi a2, s3, 64\n"						\
	"	beqz a2, 6f\n"							\
	"	mv a1, t1\n"							\
	"6:	mv a2, t1\n"							\
	"	srli a3, s3, 50\n"	/* rights: never MAP_X, so no guest */	\
	"	andi a3, a3, 11\n"	/* runs a page it wrote */		\
	"	srli a4, s3, 44\n"						\
	"	andi a4, a4, 127\n"						\
	"	mv a5, s3\n"							\
	"	srli a0, s3, 32\n"	/* a handle of the guest task's */	\
	"	andi a0, a0, 127\n"						\
	"	ecall\n"							\
	"	xor a0, a0, s3\n"						\
	"	ori a0, a0, 1\n"						\
	"	j 1b\n"								\
	"9:	srli t0, a0, 58\n"	/* 1 in 8: an illegal instruction */	\
	"	beqz t0, 10f\n"						\
	"	srli t1, s1, 3\n"	/* else a page never touched before */	\
	"	slli t1, t1, 44\n"						\
	"	srli t1, t1, 32\n"	/* ((s1 >> 3) & 0xfffff) << 12 */	\
	"	li t2, 0x100000000\n"						\
	"	add t1, t1, t2\n"						\
	"	ld t3, 0(t1)\n"							\
	"	j 1b\n"								\
	"10:	.word 0\n"							\
	"	j 1b\n"								\
	"7:	.byte 1, 9, 10, 11, 13, 13, 14, 15, 18, 19, 19, 20, 21, 22, 26, 14\n" \
	".balign 4\n"								\
	".globl " name "_probe\n"	/* FZ_DERIVED: read the word at a0, */	\
	name "_probe:\n"		/* then fault at it */			\
	"	ld t3, 0(a0)\n"							\
	"	ld t4, 0(t3)\n"							\
	"	.word 0\n"							\
	".balign 4096\n"							\
	".option pop\n"								\
	".popsection\n"

void guest_entry(void), guest_sys_entry(void), guest_entry_probe(void), guest_sys_entry_probe(void);
__asm__(GUEST_LOOP("guest_entry", 0));
__asm__(GUEST_LOOP("guest_sys_entry", 1));

static int guest_sys;	/* FZ_GUEST_SYS: the guests run guest_sys_entry */

uint64_t fz_guest_page(void) { return (uint64_t)(guest_sys ? guest_sys_entry : guest_entry); }

enum { G_FREE, G_RUN, G_WAIT };
static struct guest { int64_t th; int state, probe; uint64_t badge; } guests[GUESTS];
static int64_t gtask, gep;
static int linked = -1;		/* the guest our last receive linked, or -1 */
static int lost;		/* the task's or endpoint's handle was closed */

void fz_fault_forget(uint64_t h)
{
	for (int i = 0; i < GUESTS; i++)
		if (guests[i].th == (int64_t)h)
			guests[i].th = 0;	/* can no longer be replied to */
	if ((int64_t)h == gtask || (int64_t)h == gep)
		lost = 1;
	if ((int64_t)h == gtask)
		gtask = 0;
	if ((int64_t)h == gep)
		gep = 0;
}

static void teardown(struct fz *f)
{
	if (gtask > 0) {
		sys_task_destroy((uint64_t)gtask);
		fz_close(f, (uint64_t)gtask);
	}
	if (gep > 0)
		fz_close(f, (uint64_t)gep);
	for (int i = 0; i < GUESTS; i++) {
		if (guests[i].th > 0)
			fz_close(f, (uint64_t)guests[i].th);
		guests[i] = (struct guest){ 0, G_FREE, 0, 0 };
	}
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
			pc = (uint64_t)(guest_sys ? guest_sys_entry_probe : guest_entry_probe);
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
		guests[i] = (struct guest){ th, G_RUN, probe, badge };
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

	return i >= 0 && i < GUESTS && guests[i].state == G_RUN && guests[i].badge == badge ? i : -1;
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

void fz_fault_op(struct fz *f)
{
	struct task_info ti;
	struct ipc_msg m;
	int waiting = 0, live, i;
	int64_t r;

	if (lost) {
		teardown(f);
		return;
	}
	guest_sys = (f->classes & FZ_GUEST_SYS) != 0;
	if (!gtask && setup(f) < 0)
		return;
	if ( sys_task_info((uint64_t)gtask, &ti) < 0 || fz_chance(f, 512)) {
		teardown(f);	/* closed or destroyed by the syscall class, or now */
		return;
	}
	for (i = 0; i < GUESTS; i++)
		waiting += guests[i].state == G_WAIT;
	live = (int)ti.nthreads - waiting;	/* running guests: each faults soon */
	if (f->probe_at) {
		for (i = 0; i < GUESTS && guests[i].state != G_FREE; i++)
			;
		if (i < GUESTS) {
			new_guest(f);
			return;
		}
	}
	if (live <= 0) {
		for (i = 0; i < GUESTS && guests[i].state != G_WAIT; i++)
			;
		if (i == GUESTS || !guests[i].th || fz_chance(f, 2)) {
			ftrace(f, "new", &m, i, live);
			new_guest(f);
			return;
		}
		/* Answer a waiting guest through its thread handle. */
		random_reply(f, &m, GUEST_DATA);
		ftrace(f, "reply", &m, i, live);
		r = ipc_reply((uint64_t)guests[i].th, &m);
		if (r == 0)
			replied(i, m.info);
		if (linked == i)
			linked = -1;
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
	i = guest_of(m.badge);
	ftrace(f, "got", &m, i, (int)m.badge);
	/* A death message: no caller to answer. A
	 * guest that a refused reply ended frees its slot here. */
	if ((m.info & IPC_KERNEL) && ipc_label(m.info) == THREAD_EXIT_LABEL) {
		if (i >= 0) {
			if (guests[i].th > 0)
				fz_close(f, (uint64_t)guests[i].th);
			guests[i] = (struct guest){ 0, G_FREE, 0, 0 };
		}
		return;
	}
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
