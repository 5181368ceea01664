/*
 * The fuzzer's random requests to the pager (FZ_PAGER): a random label,
 * words and payload (with FZ_PAGER_GRANT a granted handle), steered off
 * what would end this process at once; FZ_BRK's requests near the break;
 * and FZ_DERIVED's watched page (a frame that outlives a mapping of it).
 * Results are checked as fuzz_sys.c checks the syscalls'.
 */
#include <stdio.h>
#include "fuzz.h"

static uint64_t heap_top;	/* FZ_BRK: the break as the pager last said */
static uint64_t heap_floor;	/* FZ_BRK: the break when the child started */

/* FZ_BRK: an address near the break, where the heap grows and shrinks;
 * never below where the heap started: that is our data and bss, and an
 * MADV_DONTNEED there would zero the fuzzer's own state (a child then
 * waits for a guest it forgot). */
static uint64_t near_break(struct fz *f)
{
	if (!heap_top) {
		struct ipc_msg q = { .info = ipc_info(PAGER_BRK, 0, 0) };
		heap_top = pager_call(&q) > 0 ? q.w[0] : PROC_TEXT_MIN;
		heap_floor = (heap_top + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	}
	uint64_t a = ((heap_top + PAGE_SIZE * fz_below(f, 32)) & ~(PAGE_SIZE - 1)) - 16 * PAGE_SIZE;

	if (a < heap_floor)
		a = heap_floor + PAGE_SIZE * fz_below(f, 16);
	return a + (fz_chance(f, 8) ? fz_below(f, PAGE_SIZE) : 0);
}

/* Does [addr, addr + len) touch what keeps this child running: its image
 * and heap, the mmap area's top (the progress page), its stack, its IPC
 * buffer? */
static int hits_own(uint64_t addr, uint64_t len)
{
	static const uint64_t own[][2] = {
		{ 0, 16ul << 20 },
		{ PROC_MMAP_TOP - (16ul << 20), PROC_MMAP_TOP },
		{ PROC_STACK_TOP - PROC_STACK_MAX - PROC_STACK_GUARD, PROC_IPCBUF_VA + PAGE_SIZE },
	};
	uint64_t end = addr + len < addr ? ~0ul : addr + len;

	for (int i = 0; i < 3; i++)
		if (addr < own[i][1] && end > own[i][0])
			return 1;
	return 0;
}

/* FZ_DERIVED: the source page our tasks may still map is gone. The pager
 * hands out the frame it freed last first: take a new page at once, mark
 * it, and watch it. Nothing else maps it, so if the marker changes, a
 * guest wrote through a mapping that outlived its source (issue 6, A.1). */
static void watch_reuse(struct fz *f)
{
	struct ipc_msg m = { .info = ipc_info(PAGER_MMAP, 0, 0),
			     .w = { 0, PAGE_SIZE, MAP_R | MAP_W,
				    PMAP_PRIVATE | PMAP_ANONYMOUS | PMAP_POPULATE } };

	f->given = 0;
	if (f->watched || !f->given_at || pager_call(&m) < 0)
		return;
	f->watched = m.w[0];
	f->marker = 0x5afe5afe00000000ul | f->ops;
	f->probe_at = f->given_at;	/* the fault class sends a probe there */
	((volatile uint64_t *)f->watched)[0] = f->marker;
	((volatile uint64_t *)f->watched)[1] = f->marker;
}

void fz_derived_check(struct fz *f)
{
	volatile uint64_t *w = (volatile uint64_t *)f->watched;

	if (!w || (w[0] == f->marker && w[1] == f->marker))
		return;
	f->failed++;
	printf("FAIL: fuzz: op %llu: our page %#llx changed (%#llx) after the page given to "
	       "our tasks was unmapped: a frame outlived its mapping\n",
	       (unsigned long long)f->ops, (unsigned long long)f->watched,
	       (unsigned long long)w[0]);
	fflush(stdout);
	f->watched = 0;
}

/* A request to the pager: random label, words, payload and (with
 * FZ_PAGER_GRANT) a granted handle. Requests that would end this process
 * are rare, so a child gets far. */
void fz_pager_op(struct fz *f)
{
	uint64_t pager = libsys_start_info.pager, pid = libsys_start_info.pid;
	uint64_t label = fz_chance(f, 16) ? fz_rand(f) >> 16 : fz_below(f, PAGER_LABEL_COUNT + 2);
	struct ipc_msg m;
	int64_t r;

	for (int i = 0; i < IPC_WORDS; i++)
		m.w[i] = fz_word(f);
	switch (label) {
	case PAGER_EXIT:
		if (!fz_chance(f, 1024))
			label = PAGER_GETPID;
		if ((m.w[0] & 0xff) == 99)
			m.w[0] = 0;	/* 99 means "failed" to the parent */
		break;
	case PAGER_KILL:
		m.w[0] = fz_chance(f, 2) ? fz_below(f, 64) : fz_word(f);
		if (m.w[0] == pid && !fz_chance(f, 1024))
			m.w[0] = 1;
		break;
	case PAGER_WAIT:
		m.w[0] = fz_chance(f, 2) ? (uint64_t)-1 : fz_below(f, 64);
		m.w[1] = fz_chance(f, 2) ? WAIT_NOHANG : fz_word(f);
		break;
	case PAGER_SPAWN:
		/* Random bytes: never a program's name. */
		for (int i = 0; i < 64; i++)
			((uint8_t *)ipcbuf())[i] = (uint8_t)(0x80 | fz_rand(f));
		break;
	case PAGER_FORK:
		/* Costly (a copy of our space, a kill report): rarer. */
		if (!fz_chance(f, 32))
			label = PAGER_PROC_STATS;
		m.w[0] = fz_page(f);	/* pc: never our code, so it dies */
		break;
	case PAGER_CHECK:	/* a walk over every frame: rarer */
		if (!fz_chance(f, 32))
			label = PAGER_MEMINFO;
		break;
	case PAGER_MMAP: case PAGER_MUNMAP: case PAGER_MPROTECT: case PAGER_MADVISE:
	case PAGER_MREMAP:
		m.w[0] = fz_page(f);
		m.w[1] = fz_chance(f, 2) ? PAGE_SIZE * fz_below(f, 64) : fz_len(f);
		/* Now and then at our own mappings (which ends us), else not. */
		if (fz_chance(f, 4096))
			m.w[0] = fz_chance(f, 2) ? PROC_TEXT_MIN : PROC_STACK_TOP - PAGE_SIZE;
		else if ((f->classes & FZ_BRK) && fz_chance(f, 2)) {
			m.w[0] = near_break(f);	/* the heap: brk's state and ours meet */
			if (m.w[1] > (64ul << 20))	/* not to our stack */
				m.w[1] = PAGE_SIZE * fz_below(f, 64);
		} else if (hits_own(m.w[0], m.w[1]))
			m.w[0] = FZ_ZONE + PAGE_SIZE * fz_below(f, FZ_ZONE_PAGES);
		if (f->given && label != PAGER_MMAP && fz_chance(f, 4)) {
			m.w[0] = f->given;	/* FZ_DERIVED: take back a mapped source */
			if (hits_own(m.w[0], m.w[1]))
				m.w[1] = PAGE_SIZE * (1 + fz_below(f, 4));
		}
		m.w[2] = fz_chance(f, 2) ? fz_below(f, 8) : fz_word(f);
		if (label == PAGER_MMAP) {
			static const uint64_t fl[] = { PMAP_PRIVATE, PMAP_SHARED, PMAP_FIXED,
				PMAP_ANONYMOUS, PMAP_POPULATE, PMAP_FIXED_NOREPLACE };
			m.w[3] = 0;
			for (int i = 0; i < 6; i++)
				if (fz_chance(f, 2))
					m.w[3] |= fl[i];
			if (fz_chance(f, 16))
				m.w[3] = fz_word(f);
		} else {
			m.w[3] = fz_chance(f, 2) ? fz_below(f, 4) : fz_word(f);
		}
		break;
	case PAGER_BRK:
		if (!(f->classes & FZ_BRK))
			label = PAGER_GETPID;
		else
			m.w[0] = fz_chance(f, 4) ? fz_word(f) : near_break(f);
		break;
	case PAGER_SIGSUSPEND:	/* waits for a signal nobody sends: stuck */
		label = PAGER_SIGPENDING;
		break;
	case PAGER_MO_SERVE:	/* its notification is ours to wait on, and nobody signals it */
		label = PAGER_GETPID;
		break;
	case PAGER_MO_WAIT:	/* waits for a request nobody makes: stuck */
		label = PAGER_OBJ_FETCH;
		break;
	case PAGER_ALARM:	/* the first alarm makes the pager's timer relay, for good */
		m.w[0] = 0;
		break;
	case PAGER_SIGACTION:	/* a handler needs w4/w5: mostly refused, not random code */
		if (!fz_chance(f, 64))
			m.w[4] = m.w[5] = 0;
		break;
	case PAGER_SET_LIMIT:
		if (!fz_chance(f, 256))
			m.w[0] = 0;	/* a low limit ends us at the next fault */
		break;
	}
	m.info = fz_info(f, f->classes & FZ_PAGER_GRANT) & ~(~0ul << IPC_LABEL_SHIFT);
	m.info |= label << IPC_LABEL_SHIFT;
	if (m.info & IPC_GRANT)
		m.w[5] = fz_handle(f);
	if (f->classes & FZ_TRACE) {
		uint64_t a[7] = { m.info, m.w[0], m.w[1], m.w[2], m.w[3], m.w[4], m.w[5] };
		trace(f, "pager", label, a, 7);
	}
	uint64_t req[4] = { m.w[0], m.w[1], m.w[2], m.w[3] };
	/* A send now and then: the pager's answer then goes to no one, and
	 * m still holds our request. */
	if (fz_chance(f, 32)) {
		check_result(f, "pager", label, ipc_send(pager, &m));
		return;
	}
	r = ipc_call(pager, &m);
	check_result(f, "pager", label, r);
	/* FZ_DERIVED: a fresh readable anonymous page, made present, becomes
	 * a source for SYS_MAP and fault replies, and a target of munmap. */
	if ((f->classes & FZ_DERIVED) && r == 0 && label == PAGER_MMAP && (int64_t)m.w[0] > 0 &&
	    !(m.w[0] & (PAGE_SIZE - 1)) && m.w[0] < USER_TOP && !hits_own(m.w[0], PAGE_SIZE) &&
	    (req[2] & MAP_R) && !(req[2] & ~7ul) && (req[3] & PMAP_ANONYMOUS) && req[1]) {
		if (req[2] & MAP_W)
			*(volatile char *)m.w[0] = 1;
		else
			(void)*(volatile char *)m.w[0];
		f->given = m.w[0];
	}
	if ((f->classes & FZ_DERIVED) && r == 0 && label == PAGER_MUNMAP && f->given &&
	    req[0] <= f->given && req[0] + req[1] > f->given && (int64_t)m.w[0] == 0)
		watch_reuse(f);
	if (r == 0 && label == PAGER_BRK && (int64_t)m.w[0] > 0)
		heap_top = m.w[0];
	if (r == 0 && label == PAGER_CHECK && (int64_t)m.w[0] == -ERR_IO) {
		f->failed++;
	printf("FAIL: fuzz: op %llu: the pager's check failed\n", (unsigned long long)f->ops);
		fflush(stdout);
	}
}
