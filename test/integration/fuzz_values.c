/*
 * The fuzzer's value pools: handles (ours, the pager's, free slots, out of
 * range), pointers (kernel addresses, the edges of user space, misaligned,
 * straddling a page end, our own harmless buffers), lengths and rights,
 * and the table of handles a fuzzing child holds. A pointer the kernel may
 * write through always lands in fz_scratch, so no call corrupts the
 * fuzzer's own state.
 */
#include <string.h>
#include "fuzz.h"

char fz_scratch[2 * PAGE_SIZE] __attribute__((aligned(4096)));
char fz_text[PAGE_SIZE] __attribute__((aligned(4096)));
char fz_zero_page[PAGE_SIZE] __attribute__((aligned(4096)));
char fz_ones_page[PAGE_SIZE] __attribute__((aligned(4096)));

#define KERNEL_VA	0xffffffc080200000ul

static const uint64_t bad_ptrs[] = {
	0, 8, 0xfff, 0x1000, 0x1001, 0x40000000, 0x7ffffffff8ul,
	USER_TOP - 1, USER_TOP - 8, USER_TOP - 16, USER_TOP - PAGE_SIZE, USER_TOP,
	USER_TOP + PAGE_SIZE, 0x8000000000ul, 0x0000ffffffffffffull,
	0x8000000000000000ul, 0xffffffc000000000ul, KERNEL_VA, KERNEL_VA + 3,
	0xffffffffffffff00ul, ~0ul, ~0ul - 7,
	PROC_IPCBUF_VA + PAGE_SIZE - 4,	/* straddles the IPC buffer's end */
	PROC_IPCBUF_VA + PAGE_SIZE, PROC_STACK_TOP, FZ_ZONE, FZ_ZONE + 5,
};
#define NBAD (sizeof(bad_ptrs) / sizeof(bad_ptrs[0]))

static const uint64_t lens[] = {
	0, 1, 2, 7, 8, 31, 32, 63, 64, 4095, 4096, 4097, 8191, 8192, 0x1fff,
	1ul << 20, 1ul << 31, 1ul << 32, USER_TOP, ~0ul, ~0ul >> 1, ~0ul - 4095,
};
#define NLENS (sizeof(lens) / sizeof(lens[0]))

void fz_values_init(struct fz *f)
{
	memset(fz_text, '.', sizeof(fz_text));
	memset(fz_ones_page, 0xff, sizeof(fz_ones_page));
	memset(fz_zero_page, 0, sizeof(fz_zero_page));
	memset(fz_scratch, 0, sizeof(fz_scratch));
	memset(f->kind, HK_NONE, sizeof(f->kind));
	f->nobjects = 0;
	/* Find the free slots by filling them; whatever else the child
	 * started with is left out of every call that could block on it. */
	int64_t made[2 * FZ_HANDLES];
	int n = 0;
	for (n = 0; n < 2 * FZ_HANDLES; n++)
		if ((made[n] = sys_endpoint_create()) <= 0)
			break;
	for (uint64_t h = 1; h < FZ_HANDLES; h++)
		f->kind[h] = HK_INHERITED;
	for (int i = 0; i < n; i++) {
		if (made[i] < FZ_HANDLES)
			f->kind[made[i]] = HK_NONE;
		sys_handle_close((uint64_t)made[i]);
	}
	if (libsys_start_info.pager < FZ_HANDLES)
		f->kind[libsys_start_info.pager] = HK_PAGER;
}

void fz_track(struct fz *f, int64_t h, enum fz_kind k)
{
	if (h <= 0 || h >= FZ_HANDLES)
		return;
	if (f->kind[h] == HK_NONE)
		f->nobjects++;
	f->kind[h] = (uint8_t)k;
}

void fz_forget(struct fz *f, uint64_t h)
{
	if (h >= FZ_HANDLES || f->kind[h] == HK_NONE || f->kind[h] == HK_PAGER ||
	    f->kind[h] == HK_INHERITED)
		return;
	if (f->kind[h] >= HK_GUEST_TASK)
		fz_fault_forget(h);	/* before the number can name something else */
	f->kind[h] = HK_NONE;
	f->nobjects--;
}

void fz_close(struct fz *f, uint64_t h)
{
	if (h < FZ_HANDLES && f->kind[h] == HK_PAGER)
		return;
	sys_handle_close(h);
	fz_forget(f, h);
}

/* A tracked handle of kind k (HK_NONE: of any kind but the pager's), or 0. */
static uint64_t pick_tracked(struct fz *f, enum fz_kind k)
{
	uint64_t start = fz_below(f, FZ_HANDLES);

	for (uint64_t i = 0; i < FZ_HANDLES; i++) {
		uint64_t h = (start + i) % FZ_HANDLES;
		if (f->kind[h] != HK_NONE && f->kind[h] != HK_PAGER &&
		    f->kind[h] != HK_INHERITED && (k == HK_NONE || f->kind[h] == k))
			return h;
	}
	return 0;
}

static uint64_t untracked_handle(struct fz *f)
{
	static const uint64_t far[] = { 0, FZ_HANDLES, FZ_HANDLES + 1, 1ul << 31, 1ul << 32,
					~0ul, ~0ul >> 1, 0x8000000000000000ul };
	uint64_t h;

	if (fz_chance(f, 2))
		return far[fz_below(f, sizeof(far) / sizeof(far[0]))];
	for (int tries = 0; tries < 8; tries++)
		if (f->kind[h = 1 + fz_below(f, FZ_HANDLES - 1)] == HK_NONE)
			return h;
	return 0;
}

uint64_t fz_free_slot(struct fz *f)
{
	uint64_t h = untracked_handle(f);

	return h < FZ_HANDLES ? h : 0;
}

/* Registers for SYS_THREAD_REGS_WRITE: random words, a pc anywhere in
 * user space or past it. */
uint64_t fz_regs(struct fz *f)
{
	static struct user_regs regs;

	if (fz_chance(f, 8))
		return fz_rptr(f);
	for (int i = 0; i < 32; i++)
		regs.x[i] = fz_word(f);
	regs.x[0] = fz_chance(f, 8) ? fz_word(f) : fz_page(f);
	return (uint64_t)&regs;
}

uint64_t fz_handle(struct fz *f)
{
	switch (fz_below(f, 4)) {
	case 0:
		return untracked_handle(f);
	case 1:
		return fz_below(f, FZ_HANDLES + 2);	/* whatever is there */
	default: {
		uint64_t h = pick_tracked(f, HK_NONE);
		return h ? h : untracked_handle(f);
	}
	}
}

uint64_t fz_handle_of(struct fz *f, enum fz_kind k)
{
	uint64_t h = fz_chance(f, 8) ? 0 : pick_tracked(f, k);

	return h ? h : untracked_handle(f);
}

/* IPC on an endpoint of ours with nobody on the other side would block
 * this single thread forever: only wrong-type and free handles here. */
uint64_t fz_nonblocking_handle(struct fz *f)
{
	static const enum fz_kind kinds[] = { HK_NOTIF, HK_TASK, HK_THREAD };
	uint64_t h = fz_chance(f, 3) ? 0 : pick_tracked(f, kinds[fz_below(f, 3)]);

	return h ? h : untracked_handle(f);
}

uint64_t fz_wptr(struct fz *f)
{
	switch (fz_below(f, 3)) {
	case 0:
		return (uint64_t)fz_scratch + fz_below(f, sizeof(fz_scratch) - 64);
	case 1:
		return (uint64_t)fz_scratch + 8 * fz_below(f, 8);
	default:
		return bad_ptrs[fz_below(f, NBAD)];
	}
}

uint64_t fz_wptr_n(struct fz *f, uint64_t n)
{
	uint64_t p = fz_wptr(f), end = (uint64_t)fz_scratch + sizeof(fz_scratch);

	if (p >= (uint64_t)fz_scratch && p < end && p + n > end)
		p = end - n;	/* the kernel writes n bytes: all in fz_scratch */
	return p;
}

uint64_t fz_rptr(struct fz *f)
{
	if (fz_chance(f, 2))
		return (uint64_t)fz_text + fz_below(f, sizeof(fz_text));
	return bad_ptrs[fz_below(f, NBAD)];
}

uint64_t fz_ptr(struct fz *f)
{
	switch (fz_below(f, 4)) {
	case 0:
		return fz_wptr(f);
	case 1:
		return fz_rptr(f);
	case 2:
		return (uint64_t)fz_zero_page + fz_below(f, PAGE_SIZE);
	default:
		return bad_ptrs[fz_below(f, NBAD)];
	}
}

uint64_t fz_len(struct fz *f)
{
	if (fz_chance(f, 4))
		return fz_below(f, 64);
	return lens[fz_below(f, NLENS)];
}

uint64_t fz_word(struct fz *f)
{
	switch (fz_below(f, 6)) {
	case 0:
		return fz_rand(f);
	case 1:
		return fz_below(f, 32);
	case 2:
		return fz_handle(f);
	case 3:
		return fz_ptr(f);
	case 4:
		return fz_len(f);
	default:
		return fz_page(f);
	}
}

uint64_t fz_page(struct fz *f)
{
	switch (fz_below(f, 6)) {
	case 0:
	case 1:
		return FZ_ZONE + PAGE_SIZE * fz_below(f, FZ_ZONE_PAGES);
	case 2:
		return 0x40000000ul + PAGE_SIZE * fz_below(f, 64);
	case 3:
		return (fz_rand(f) % USER_TOP) & ~(PAGE_SIZE - 1);
	case 4:
		return (fz_rand(f) & ~(PAGE_SIZE - 1)) | (fz_chance(f, 2) ? 0 : fz_below(f, 8));
	default:
		return bad_ptrs[fz_below(f, NBAD)];
	}
}

uint64_t fz_src_page(struct fz *f)
{
	if (f->given && fz_chance(f, 2))
		return f->given;	/* FZ_DERIVED: a source the pager may take back */
	switch (fz_below(f, 8)) {
	case 0:
		return (uint64_t)fz_scratch + PAGE_SIZE * fz_below(f, 2);
	case 1:
		return (uint64_t)fz_text;
	case 2:
		return (uint64_t)fz_zero_page;
	case 3:
		return (uint64_t)fz_ones_page;
	case 4:
		return PROC_IPCBUF_VA;
	case 5:
		return FZ_ZONE + PAGE_SIZE * fz_below(f, 16);
	case 6:
		return (uint64_t)fz_scratch + 1 + fz_below(f, 8);
	default:
		return bad_ptrs[fz_below(f, NBAD)];
	}
}

uint64_t fz_rights(struct fz *f)
{
	static const uint64_t r[] = { MAP_R, MAP_R | MAP_W, MAP_R | MAP_X, MAP_R | MAP_W | MAP_X };

	if (fz_chance(f, 4))
		return fz_chance(f, 2) ? fz_below(f, 16) : fz_rand(f);
	return r[fz_below(f, 4)];
}

uint64_t fz_info(struct fz *f, int grant)
{
	uint64_t len = fz_chance(f, 2) ? 0 : fz_len(f) & 0x3fff;
	uint64_t flags = 0;

	if (fz_chance(f, 8))
		flags |= IPC_KERNEL;	/* the kernel must clear it */
	if (grant && fz_chance(f, 4))
		flags |= IPC_GRANT;
	return ipc_info(fz_chance(f, 16) ? fz_rand(f) >> 16 : fz_below(f, 24), 0, flags) |
	       (len & IPC_LEN_MASK) | (fz_chance(f, 16) ? (1ul << 15) : 0);
}
