/*
 * The in-guest fuzzer's shared state (test_fuzz.c drives it): the seeded
 * PRNG, the pools of interesting values, the table of handles a fuzzing
 * child holds, and the operation classes. Everything a child does follows
 * from its seed, so a seed reproduces a run.
 */
#ifndef TEST_FUZZ_H
#define TEST_FUZZ_H

#include <stdint.h>
#include "libsys.h"

/* Operation classes, a bitmask chosen on the command line. */
#define FZ_SYSCALL	0x01	/* random syscalls, handles, pointers, lengths */
#define FZ_FAULT	0x02	/* a custom pager answering faults at random */
#define FZ_PAGER	0x04	/* random requests to the pager */
#define FZ_PAGER_GRANT	0x08	/* ... with IPC_GRANT of random handles */
#define FZ_THREAD_EXIT	0x10	/* the process's own thread calls SYS_THREAD_EXIT */
#define FZ_EXHAUST	0x20	/* objects and page tables without a cap */
#define FZ_BRK		0x40	/* PAGER_BRK with random breaks */
#define FZ_GUEST_SYS	0x80	/* FZ_FAULT's guests make syscalls too */
#define FZ_TRACE	0x100	/* print every call before making it */
#define FZ_CHECK_EACH	0x200	/* PAGER_CHECK after every operation; stop at a failure */
#define FZ_DERIVED	0x400	/* map pages the pager gave us into our tasks, then munmap them */

/* Handle table of a child: what each slot we know of holds. */
#define FZ_HANDLES	128	/* the kernel's per-task table size */
enum fz_kind {
	HK_NONE, HK_PAGER, HK_EP, HK_NOTIF, HK_TASK, HK_THREAD, HK_OTHER,
	HK_INHERITED,	/* in the table when the child started: never closed by us */
	HK_REPLY,	/* a reply handle whose caller is no guest of ours */
	/* The fault class's objects: the syscall class leaves them alone. */
	HK_GUEST_TASK, HK_GUEST_EP, HK_GUEST_THREAD,
	HK_GUEST_REPLY,	/* a reply handle for a guest's fault */
};

struct fz {
	uint64_t rng;
	uint32_t classes;
	uint64_t ops;			/* operations done so far */
	uint64_t faults;		/* guest faults received (FZ_FAULT) */
	uint64_t refused;		/* calls that returned an error */
	uint64_t failed;		/* FAIL lines printed */
	uint64_t peak_tasks;		/* the kernel's task count, sampled */
	uint64_t min_kmem;		/* the kernel pool's free pages, sampled */
	uint64_t given;			/* FZ_DERIVED: a page the pager mapped for us */
	uint64_t watched;		/* FZ_DERIVED: our page that must keep its marker */
	uint64_t marker;
	uint64_t given_at;		/* where a guest task maps it */
	uint64_t probe_at;		/* where a probe guest should read */
	uint8_t kind[FZ_HANDLES];
	uint32_t nobjects;		/* live entries in kind[] but the pager's */
};

/* splitmix64: a good 64-bit generator with a one-word state. */
static inline uint64_t fz_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ul);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ul;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebul;
	return z ^ (z >> 31);
}
static inline uint64_t fz_rand(struct fz *f) { return fz_next(&f->rng); }
static inline uint64_t fz_below(struct fz *f, uint64_t n) { return n ? fz_rand(f) % n : 0; }
static inline int fz_chance(struct fz *f, uint64_t one_in) { return fz_below(f, one_in) == 0; }

/* Value pools (fuzz_values.c). */
uint64_t fz_handle(struct fz *f);		/* any handle number, valid or not */
uint64_t fz_handle_of(struct fz *f, enum fz_kind k);	/* one of ours of kind k, or random */
uint64_t fz_nonblocking_handle(struct fz *f);	/* IPC on it cannot block */
uint64_t fz_ptr(struct fz *f);			/* any pointer */
uint64_t fz_wptr(struct fz *f);			/* a pointer the kernel may write, or a bad one */
uint64_t fz_wptr_n(struct fz *f, uint64_t n);	/* ... n bytes (fz_wptr: up to 64) */
uint64_t fz_rptr(struct fz *f);			/* a readable harmless buffer, or a bad one */
uint64_t fz_len(struct fz *f);
uint64_t fz_word(struct fz *f);			/* anything */
uint64_t fz_page(struct fz *f);			/* a page address: aligned or almost */
uint64_t fz_src_page(struct fz *f);		/* a page of ours to map, or a bad one */
uint64_t fz_rights(struct fz *f);
uint64_t fz_free_slot(struct fz *f);		/* a slot we hold nothing in, or 0 */
uint64_t fz_regs(struct fz *f);		/* a struct user_regs to write, or a bad pointer */
uint64_t fz_info(struct fz *f, int grant);	/* random info word */
void fz_values_init(struct fz *f);
void fz_track(struct fz *f, int64_t h, enum fz_kind k);
void fz_forget(struct fz *f, uint64_t h);
void fz_close(struct fz *f, uint64_t h);	/* close (not the pager's) and forget */

/* Operation classes (fuzz_sys.c, fuzz_pager.c, fuzz_fault.c). Each does one call. */
void fz_syscall_op(struct fz *f);
void fz_pager_op(struct fz *f);
void fz_derived_check(struct fz *f);
void fz_fault_op(struct fz *f);
void fz_fault_forget(uint64_t h);		/* a guest object's handle was closed */
void fz_fault_reply_saved(struct fz *f, int64_t h);	/* SYS_REPLY_SAVE's result */
uint64_t fz_guest_page(void);		/* the guest loop's code page (fuzz_guest.c) */
uint64_t fz_guest_probe(void);		/* FZ_DERIVED's probe: reads at a0 */
extern int fz_guest_sys;		/* FZ_GUEST_SYS: the loop makes syscalls */
void fz_map_args(struct fz *f, uint64_t *src, uint64_t *rights);
/* A result is a success or one of the documented error codes (fuzz_sys.c);
 * with FZ_TRACE, print a call before it is made. */
void check_result(struct fz *f, const char *what, uint64_t nr, int64_t r);
void trace(struct fz *f, const char *what, uint64_t nr, const uint64_t *a, int n);

/* Pages the pools point into (fuzz_values.c). */
extern char fz_scratch[];	/* 2 pages the kernel may write */
extern char fz_text[];		/* 1 page of dots for SYS_DEBUG_WRITE */
extern char fz_zero_page[];	/* zeros: illegal instructions */
extern char fz_ones_page[];	/* all ones: illegal instructions too */

/* Where the fuzzing child's mmap requests land, away from its real maps. */
#define FZ_ZONE		0x2000000000ul
#define FZ_ZONE_PAGES	4096ul

#endif
