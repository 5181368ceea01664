/*
 * test_filemap's "attacks" mode: FS_MMAP requests with bad descriptors,
 * huge lengths, wrapping offsets and bad flags from an unprivileged
 * child; PAGER_OBJ_* from a client; one process holding more mapped
 * files than its share; children killed while their faults wait on the
 * disk.
 */
#include "filemap_attack.h"

#define ERR_OVERFLOW	139	/* EOVERFLOW */

/* ---- attacks ---- */

static int64_t raw_mmap(int64_t fd, uint64_t hint, uint64_t len, uint64_t prot, uint64_t flags,
			uint64_t off)
{
	struct fs_mmap_req q = { .fd = fd, .hint = hint, .length = len, .prot = prot,
				 .flags = flags, .offset = off };
	struct ipc_msg m = { 0 };

	memcpy(m.w, &q, sizeof(q));
	return fs_call(FS_MMAP, &m, 0);
}

static int attacker(void *arg)
{
	int fd = open("/a1", O_RDWR), bad = 0;
	int64_t sfd = fd - FD_BASE;

	(void)arg;
#define EXPECT(call, want) do {						\
	int64_t r_ = (call);						\
	if (r_ != (want)) {						\
		printf("filemap: attack %s gave %ld, not %ld\n", #call,	\
		       (long)r_, (long)(want));				\
		bad++;							\
	}								\
} while (0)
	EXPECT(raw_mmap(-5, 0, PS, MAP_R, PMAP_SHARED, 0), -ERR_BADF);
	EXPECT(raw_mmap(1000, 0, PS, MAP_R, PMAP_SHARED, 0), -ERR_BADF);
	EXPECT(raw_mmap(INT64_MIN, 0, PS, MAP_R, PMAP_SHARED, 0), -ERR_BADF);
	EXPECT(raw_mmap(sfd + 7, 0, PS, MAP_R, PMAP_SHARED, 0), -ERR_BADF);
	EXPECT(raw_mmap(sfd, 0, 1ul << 62, MAP_R, PMAP_SHARED, 0), -ERR_NOMEM);
	EXPECT(raw_mmap(sfd, 0, UINT64_MAX, MAP_R, PMAP_SHARED, 0), -ERR_NOMEM);
	EXPECT(raw_mmap(sfd, 0, PS, MAP_R, PMAP_SHARED, UINT64_MAX & ~(PS - 1)), -ERR_OVERFLOW);
	EXPECT(raw_mmap(sfd, 0, 1ul << 30, MAP_R, PMAP_SHARED, 1ul << 63), -ERR_OVERFLOW);
	EXPECT(raw_mmap(sfd, 0, PS, MAP_R, PMAP_SHARED, 12), -ERR_INVAL);
	EXPECT(raw_mmap(sfd, 0, 0, MAP_R, PMAP_SHARED, 0), -ERR_INVAL);
	EXPECT(raw_mmap(sfd, 0, PS, MAP_R, PMAP_SHARED | PMAP_ANONYMOUS, 0), -ERR_INVAL);
	EXPECT(raw_mmap(sfd, 0, PS, MAP_R, 1ul << 40, 0), -ERR_INVAL);
	EXPECT(raw_mmap(sfd, 0, PS, MAP_R, PMAP_SHARED | (1ul << 40), 0), -ERR_INVAL);
	EXPECT(raw_mmap(sfd, 0, PS, MAP_R | (1ul << 35), PMAP_SHARED, 0), -ERR_INVAL);
	EXPECT(raw_mmap(sfd, USER_TOP, PS, MAP_R, PMAP_SHARED | PMAP_FIXED, 0), -ERR_NOMEM);
	EXPECT(raw_mmap(sfd, PROC_IPCBUF_VA, PS, MAP_R, PMAP_SHARED | PMAP_FIXED, 0), -ERR_ACCES);
	/* The pager's file-server calls, from a client. */
	for (uint64_t label = PAGER_OBJ_MAP; label <= PAGER_OBJ_PEEK; label++) {
		struct pager_obj_map om = { .pid = 1, .key = 2, .size = PS, .length = PS,
					    .prot = MAP_R | MAP_W, .flags = PMAP_SHARED };
		struct ipc_msg m = { .info = ipc_info(label, sizeof(om), 0), .w = { 2, 0, 1, 0 } };
		memcpy(ipcbuf(), &om, sizeof(om));
		EXPECT(pager_call(&m), -ERR_PERM);
	}
	/* A file it may only read, mapped shared and then mprotect'ed
	 * writable: no store reaches the file (read() would show it). */
	int ro = open("/data/readonly.txt", O_RDONLY);
	volatile char *rs = mmap(NULL, PS, PROT_READ, MAP_SHARED, ro, 0);
	char c = 0;
	if (rs == MAP_FAILED || rs[0] != 'r') {
		bad++;
	} else if (mprotect((void *)rs, PS, PROT_READ | PROT_WRITE) == 0) {
		rs[0] = 'X';
		msync((void *)rs, PS, MS_SYNC);
		if (pread(ro, &c, 1, 0) != 1 || c != 'r') {
			printf("filemap: attack: a store reached a file opened read-only\n");
			bad++;
		}
	} else if (errno != EACCES) {
		bad++;
	}
	/* (With the pager's mark, the mprotect itself is refused, as Linux;
	 * a private mapping may become writable, copy-on-write.) */
#ifdef PMAP_FILE_RDONLY
	void *r = mmap(NULL, PS, PROT_READ, MAP_SHARED, ro, 0);
	if (r == MAP_FAILED)
		bad++;
	else if (mprotect(r, PS, PROT_READ | PROT_WRITE) == 0 || errno != EACCES) {
		printf("filemap: attack: mprotect made a read-only file's shared mapping writable\n");
		bad++;
	}
	void *rp = mmap(NULL, PS, PROT_READ, MAP_PRIVATE, ro, 0);
	if (rp == MAP_FAILED || mprotect(rp, PS, PROT_READ | PROT_WRITE) != 0)
		bad++;
	EXPECT(raw_mmap(ro - FD_BASE, 0, PS, MAP_R, PMAP_SHARED | PMAP_FILE_RDONLY, 0), -ERR_INVAL);
#endif
	/* Still a working client. */
	volatile char *p = mmap(NULL, PS, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || p[0] != pat(0, 11))
		bad++;
	return bad;
#undef EXPECT
}

/* One process maps more files than its share of the server's holds
 * (closing each descriptor): past its share mmap is ENOMEM, and another
 * process can still map a new file. */
#define HOG_FILES	(256 + 4)

static int hold_hog(void *arg)
{
	char path[32];
	int ok = 0, refused = 0;

	(void)arg;
	for (int i = 0; i < HOG_FILES; i++) {
		snprintf(path, sizeof(path), "/hog/f%03d", i);
		int fd = open(path, O_RDONLY);
		void *p = fd < 0 ? MAP_FAILED : mmap(NULL, PS, PROT_READ, MAP_SHARED, fd, 0);
		if (p != MAP_FAILED)
			ok++;
		else if (errno == ENOMEM)
			refused++;
		close(fd);
	}
	printf("filemap: hog: %d files mapped, %d refused\n", ok, refused);
	flags[1] = 1;
	while (!flags[2])	/* holds kept while the parent maps */
		sys_yield();
	return ok == 256 && refused == HOG_FILES - 256 ? 0 : 1;
}

static void hold_share(void)
{
	char path[32];
	int status = -1;

	CHECK_EQ(mkdir("/hog", 0755), 0);
	for (int i = 0; i < HOG_FILES; i++) {
		snprintf(path, sizeof(path), "/hog/f%03d", i);
		close(make_file(path, 10, (unsigned)i));
	}
	flags[1] = flags[2] = 0;
	fflush(stdout);
	pid_t f = fork();
	if (f == 0)
		_exit(hold_hog(NULL));
	while (!flags[1])
		sys_yield();
	int fd = make_file("/hog-other", PS, 14);
	volatile char *p = mmap(NULL, PS, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	if (p != MAP_FAILED) {
		CHECK_EQ(p[1], pat(1, 14));
		munmap((void *)p, PS);
	}
	close(fd);
	flags[2] = 1;
	CHECK_EQ(waitpid(f, &status, 0), f);
	CHECK_EQ(status, 0);
	for (int i = 0; i < HOG_FILES; i++) {
		snprintf(path, sizeof(path), "/hog/f%03d", i);
		unlink(path);
	}
	CHECK_EQ(rmdir("/hog"), 0);
	unlink("/hog-other");
}

void holds_back_to(uint64_t was, int tries)
{
	uint64_t m[6] = { 0 };

	for (int i = 0; i < tries; i++) {
		mapstats(m);
		if (m[5] == was)
			break;
		sys_yield();
	}
	CHECK_EQ(m[5], was);
	CHECK_EQ(pager_check(), 0);
}

void attacks(void)
{
	const char *argv[] = { "test_filemap", "child-dies", NULL };
	uint64_t m0[6];
	int fd = make_file("/a1", PS, 11), status = -1;

	close(fd);
	status = in_child(attacker, NULL);
	CHECK_EQ(status, 0);
	/* The read-only file as it was, after the attacker's end. */
	fd = open("/data/readonly.txt", O_RDONLY);
	char ro[16] = { 0 };
	CHECK_EQ(read(fd, ro, sizeof(ro)), 10);
	CHECK(!memcmp(ro, "read only\n", 10));
	close(fd);
	/* Killed while their faults wait on the disk: forked, and spawned. */
	flags = shared_page();
	mapstats(m0);
	if (flags)
		hold_share();
	for (int round = 0; round < 8 && flags; round++) {
		flags[0] = 0;
		fflush(stdout);
		pid_t f = fork();
		if (f == 0)
			_exit(cold_reader((uint64_t)round * (512 << 10)));
		while (!flags[0])
			sys_yield();
		for (int i = 0; i < round * 3; i++)
			sys_yield();
		kill(f, SIGKILL);
		CHECK_EQ(waitpid(f, &status, 0), f);
	}
	int64_t pid = spawn(argv, 0);
	CHECK(pid > 0);
	for (int i = 0; i < 50; i++)
		sys_yield();
	kill((pid_t)pid, SIGKILL);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	/* The file's object goes with its last mapping: the hold too (fsd lets
	 * go after its disk work, which a loaded host makes slow: wait long). */
	holds_back_to(m0[5], 20000);
	/* And the file still reads right through a new mapping. */
	fd = open("/data/cold.bin", O_RDONLY);
	volatile char *p = mmap(NULL, 4 << 20, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	if (p != MAP_FAILED) {
		for (uint64_t line = 0; line < 65536; line += 997) {
			char want[64];
			snprintf(want, sizeof(want), "%058lu", (unsigned long)line);
			CHECK(!memcmp((const char *)p + line * 64, "cold ", 5));
			CHECK(!memcmp((const char *)p + line * 64 + 5 + 58 - 10, want + 48, 10));
		}
		munmap((void *)p, 4 << 20);
	}
	close(fd);
	unlink("/a1");
}
