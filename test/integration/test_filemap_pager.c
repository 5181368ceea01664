/*
 * The pager's half of file mappings, attacked from ordinary processes
 * (docs/page-cache.md). Each mode (argv[1]) is one attack, then
 * after_attack (attack.h): the checker passes, init still works.
 *
 *   perm     no file server: every PAGER_OBJ_* label, with words at their
 *            edges and payloads of every size, from init and from a child,
 *            is refused with -ERR_PERM (only the registered server may map
 *            a file into a process, fetch requests or answer them);
 *            PAGER_MSYNC checks its arguments as POSIX says (EINVAL for an
 *            unaligned address, MS_SYNC|MS_ASYNC or unknown flags, ENOMEM
 *            for a range not mapped) and does nothing on anonymous memory.
 */
#include <string.h>
#include "attack.h"

static const uint64_t obj_labels[] = {
	PAGER_OBJ_MAP, PAGER_OBJ_FETCH, PAGER_OBJ_DONE, PAGER_OBJ_SIZE, PAGER_OBJ_PEEK,
};
static const uint64_t words[] = { 0, 1, 2, PS, 1ul << 31, 1ul << 32, 1ul << 63, ~0ul };
#define NWORDS (sizeof(words) / sizeof(words[0]))

static int obj_calls_refused(void)
{
	struct pager_obj_map *a = ipcbuf();
	int bad = 0;

	for (unsigned l = 0; l < sizeof(obj_labels) / sizeof(obj_labels[0]); l++)
		for (unsigned i = 0; i < NWORDS; i++)
			for (unsigned j = 0; j < NWORDS; j++) {
				uint64_t len = (i * NWORDS + j) % 3 == 0 ? sizeof(*a) :
					       (i + j) * 97 % 4097;
				memset(a, 0, sizeof(*a));
				a->pid = (uint64_t)getpid();	/* ourselves: a valid client */
				a->key = words[j] ? words[j] : 2;
				a->size = 1 << 20;
				a->length = PS;
				a->prot = MAP_R | MAP_W;
				a->flags = PMAP_SHARED;
				int64_t r = call(obj_labels[l], len, words[i], words[j], words[(i + j) % NWORDS],
						 words[j], 0);
				if (r != -ERR_PERM) {
					printf("FAIL: label %lu words %lx %lx: %ld\n",
					       (unsigned long)obj_labels[l], (unsigned long)words[i],
					       (unsigned long)words[j], (long)r);
					bad++;
				}
			}
	return bad;
}

static int msync_rules(void)
{
	char *m = mmap(NULL, 5 * PS, RW, ANON_PRIV, -1, 0);
	char *s = mmap(NULL, 4 * PS, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	CHECK(m != MAP_FAILED && s != MAP_FAILED);
	if (m == MAP_FAILED || s == MAP_FAILED)
		return 1;
	CHECK_EQ(munmap(m + 4 * PS, PS), 0);	/* a hole after m's 4 pages */
	m[0] = s[0] = 1;
	CHECK_EQ(call(PAGER_MSYNC, 0, (uint64_t)m + 1, PS, PMS_SYNC, 0, 0), -ERR_INVAL);
	CHECK_EQ(call(PAGER_MSYNC, 0, (uint64_t)m, PS, PMS_SYNC | PMS_ASYNC, 0, 0), -ERR_INVAL);
	CHECK_EQ(call(PAGER_MSYNC, 0, (uint64_t)m, PS, 8, 0, 0), -ERR_INVAL);
	CHECK_EQ(call(PAGER_MSYNC, 0, (uint64_t)m, PS, ~0ul, 0, 0), -ERR_INVAL);
	CHECK_EQ(call(PAGER_MSYNC, 0, (uint64_t)m, 5 * PS, PMS_SYNC, 0, 0), -ERR_NOMEM);
	CHECK_EQ(call(PAGER_MSYNC, 0, (uint64_t)m, ~0ul - PS, PMS_SYNC, 0, 0), -ERR_NOMEM);
	CHECK_EQ(call(PAGER_MSYNC, 0, USER_TOP, PS, PMS_ASYNC, 0, 0), -ERR_NOMEM);
	CHECK_EQ(call(PAGER_MSYNC, 0, (uint64_t)m, 0, PMS_SYNC, 0, 0), 0);
	for (uint64_t f = 0; f <= (PMS_SYNC | PMS_INVALIDATE); f++) {
		if ((f & (PMS_SYNC | PMS_ASYNC)) == (PMS_SYNC | PMS_ASYNC))
			continue;
		CHECK_EQ(call(PAGER_MSYNC, 0, (uint64_t)m, 4 * PS, f, 0, 0), 0);
		CHECK_EQ(call(PAGER_MSYNC, 0, (uint64_t)s, 4 * PS, f, 0, 0), 0);
	}
	CHECK_EQ(m[0] + s[0], 2);	/* INVALIDATE leaves anonymous memory alone */
	munmap(m, 4 * PS);
	munmap(s, 4 * PS);
	return 0;
}

static int child_perm(void)
{
	int bad = obj_calls_refused();

	msync_rules();
	return bad || t_failures ? 1 : 0;
}

static int run_perm(void)
{
	int st;

	shared = mmap(NULL, PS, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK_EQ(obj_calls_refused(), 0);
	msync_rules();
	st = in_child(child_perm);
	CHECK(IS_EXIT(st, 0));
	after_attack("filemap_pager_perm");
	return t_done("filemap_pager_perm");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "perm";

	if (!strcmp(mode, "perm"))
		return run_perm();
	printf("FAIL: unknown mode %s\n", mode);
	return 1;
}
