/*
 * The pmap app and the VMA listing under it: `pmap` on itself exits 0;
 * `pmap <our pid>` is refused (a child may not inspect its parent) and
 * exits 1, as does a malformed pid; our own listing is sorted, page-aligned
 * and non-overlapping, names every kind we have (image, heap after malloc,
 * stack, IPC buffer, private and shared anonymous), and adds up to the
 * virtual-page count of proc_stats.
 */
#include "t.h"
#include "mm.h"

static struct pager_vma_info v[PVMA_LIST_MAX];

static int run(const char *const argv[])
{
	int st = -1;
	int64_t pid = spawn(argv, 0);

	CHECK(pid > 0);
	if (pid <= 0 || waitpid((pid_t)pid, &st, 0) != pid)
		return -1;
	return st;
}

int main(void)
{
	char pidstr[24];
	int st;

	stack_warm(16);
	char *h = malloc(3 * PS);
	CHECK(h != NULL);
	h[0] = 1;
	volatile char *a = mmap(NULL, 2 * PS, RW, ANON_PRIV, -1, 0);
	volatile char *s = mmap(NULL, PS, PROT_READ, ANON_SHARED, -1, 0);
	CHECK(a != MAP_FAILED && s != MAP_FAILED);
	a[0] = 1;

	/* pmap of itself exits 0. */
	const char *self[] = { "pmap", NULL };
	st = run(self);
	CHECK(IS_EXIT(st, 0));
	/* pmap of its parent (us) is refused: exit 1. */
	snprintf(pidstr, sizeof(pidstr), "%d", (int)getpid());
	const char *parent[] = { "pmap", pidstr, NULL };
	st = run(parent);
	CHECK(IS_EXIT(st, 1));
	/* A malformed pid: exit 1. */
	const char *junk[] = { "pmap", "12x", NULL };
	st = run(junk);
	CHECK(IS_EXIT(st, 1));

	/* Our own listing: in order, aligned, disjoint, one of each kind. */
	uint64_t from = 0, next = 0, pages = 0, prev_end = 0;
	int kinds[8] = { 0 }, total = 0;
	do {
		int64_t n = vma_list(0, from, v, PVMA_LIST_MAX, &next);
		CHECK(n >= 0);
		if (n <= 0)
			break;
		for (int64_t i = 0; i < n; i++) {
			CHECK(v[i].start < v[i].end);
			CHECK_EQ(v[i].start % PS, 0);
			CHECK_EQ(v[i].end % PS, 0);
			CHECK(v[i].start >= prev_end);
			CHECK(v[i].resident <= (v[i].end - v[i].start) / PS);
			CHECK(v[i].kind >= PVMA_ANON && v[i].kind <= PVMA_IPCBUF);
			if (v[i].kind < 8)
				kinds[v[i].kind]++;
			prev_end = v[i].end;
			pages += (v[i].end - v[i].start) / PS;
			total++;
		}
		from = next;
	} while (next);
	CHECK(kinds[PVMA_IMAGE] >= 1);
	CHECK_EQ(kinds[PVMA_HEAP], 1);
	CHECK_EQ(kinds[PVMA_STACK], 1);
	CHECK_EQ(kinds[PVMA_IPCBUF], 1);
	CHECK(kinds[PVMA_ANON] >= 1);
	CHECK(kinds[PVMA_SHARED] >= 1);
	/* The heap holds the malloc'd block, the stack our frame, and the IPC
	 * buffer its fixed page. */
	CHECK_EQ(vma_at((uintptr_t)h).kind, PVMA_HEAP);
	CHECK_EQ(vma_at((uintptr_t)&st).kind, PVMA_STACK);
	CHECK_EQ(vma_at(PROC_IPCBUF_VA).kind, PVMA_IPCBUF);
	CHECK_EQ(vma_at(PROC_IPCBUF_VA).start, PROC_IPCBUF_VA);
	CHECK_EQ(vma_at((uintptr_t)main).kind, PVMA_IMAGE);
	CHECK_EQ(vma_at((uintptr_t)main).prot & (PROT_EXEC | PROT_WRITE), PROT_EXEC);
	CHECK_EQ(vma_at((uintptr_t)a).kind, PVMA_ANON);
	CHECK_EQ(vma_at((uintptr_t)s).kind, PVMA_SHARED);
	CHECK_EQ(vma_at((uintptr_t)s).prot, PROT_READ);
	/* The VMAs add up to the virtual-page count. */
	struct proc_stats ps;
	CHECK_EQ(proc_stats(0, &ps), 0);
	CHECK_EQ(pages, ps.virtual_pages);
	CHECK(ps.resident_pages > 0 && ps.resident_pages <= pages);
	CHECK(ps.pt_pages >= 3);	/* an Sv39 root and at least two below it */
	/* Listing from a middle address starts at the VMA containing it. */
	uint64_t nx;
	CHECK_EQ(vma_list(0, (uintptr_t)a + PS, v, 1, &nx), 1);
	CHECK_EQ(v[0].start, (uintptr_t)a);
	CHECK_EQ(nx, v[0].end);	/* more VMAs follow: continue after this one */
	printf("pmap test: %d VMAs, %llu pages\n", total, (unsigned long long)pages);

	free(h);
	CHECK_EQ(pager_check(), 0);
	return t_done("pmap");
}
