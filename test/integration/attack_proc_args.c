/*
 * test_attack_proc's exec_args and fds modes: raw PAGER_EXEC with argument
 * strings that lie, execs and posix_spawns that fail leaving nothing
 * behind, and fs requests naming descriptors that are not the caller's.
 */
#include "attack_proc.h"

/* ---- exec's argument strings ---- */

/* PAGER_EXEC of x's segments with arglen bytes of args, the message
 * claiming claim bytes of strings (arglen: the truth). */
static int64_t raw_exec_len(const struct exec_file *x, const char *args, uint64_t arglen,
			    uint64_t claim)
{
	struct pager_exec_seg seg[PAGER_EXEC_SEGS_MAX];
	uint64_t n = x->img.nsegments, segbytes = n * sizeof(seg[0]);
	uint8_t *buf = ipcbuf();
	struct ipc_msg m = { 0 };

	for (uint64_t i = 0; i < n; i++)
		seg[i] = (struct pager_exec_seg){ x->img.seg[i].vaddr, x->img.seg[i].memsz,
						  x->img.seg[i].offset, x->img.seg[i].filesz,
						  x->img.seg[i].prot };
	memcpy(buf, seg, segbytes);
	memcpy(buf + segbytes, args, arglen);
	m.info = ipc_info(PAGER_EXEC, segbytes + claim, 0);
	m.w[0] = (uint64_t)x->map;
	m.w[1] = x->img.entry;
	m.w[2] = n;
	return pager_call(&m);
}

static int64_t raw_exec(const struct exec_file *x, const char *args, uint64_t arglen)
{
	return raw_exec_len(x, args, arglen, arglen);
}

void exec_args(void)
{
	int p[2];

	CHECK_EQ(pipe(p), 0);
	pid_t c = fork();
	if (c == 0) {
		static char args[3000];
		struct exec_file x;
		int bad = 0;
		close(p[0]);
		if (exec_file_open(PROBE, &x) < 0)
			_exit(90);
		/* The bss page's file part cached (the pager never waits). */
		for (uint64_t i = 0; i < x.img.nsegments; i++)
			(void)*(volatile uint8_t *)(x.map + ((x.img.seg[i].offset +
							      x.img.seg[i].filesz) & ~4095ul));
		memset(args, 'a', sizeof(args));
		bad += raw_exec(&x, args, 40) != -ERR_INVAL;		/* no NUL at the end */
		bad += raw_exec(&x, "\0xprobe", 8) != -ERR_INVAL;	/* empty name */
		for (int i = 0; i < 40; i++)				/* 40 strings */
			args[2 * i + 1] = '\0';
		bad += raw_exec(&x, args, 80) != -ERR_INVAL;
		args[sizeof(args) - 1] = '\0';				/* past the limit */
		for (int i = 0; i < 40; i++)
			args[2 * i + 1] = 'b';
		bad += raw_exec(&x, args, sizeof(args)) != -ERR_INVAL;
		/* Longer than the message can carry: the kernel or we say no. */
		bad += raw_exec_len(&x, args, 8, 4096) >= 0;
		bad += raw_exec_len(&x, args, 8, ~0ul >> 1) >= 0;
		if (bad)
			_exit(80 + bad);
		/* Still our program; now a good one, keeping the pipe. */
		char fd[8];
		snprintf(fd, sizeof(fd), "%d", p[1]);
		char *argv[] = { "xprobe", "write", fd, "99", NULL };
		execv(PROBE, argv);
		_exit(98);
	}
	CHECK(c > 0);
	close(p[1]);
	char buf[16] = { 0 };
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	CHECK(n == 7 && !strcmp(buf, "spawned"));
	int st = status_of(c);
	printf("attack_proc: exec_args child status %#x\n", st);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(p[0]);
}

/* Descriptors open beyond the console's. */
static int count_fds(void)
{
	struct stat st;
	int n = 0;

	for (int fd = 3; fd < 3 + FS_FD_MAX; fd++)
		n += fstat(fd, &st) == 0;
	return n;
}

/* Failing execs and spawns, many times: no descriptor (the program
 * file's) and no fork snapshot stays behind; fork and spawn still work. */
void exec_fails(void)
{
	static const uint8_t junk[200] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	int fd = open("/tmp/junk", O_WRONLY | O_CREAT | O_TRUNC, 0755);

	CHECK(fd >= 0);
	CHECK_EQ(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	int before = count_fds();
	char *argv[] = { "x", NULL };
	const char *paths[] = { "/tmp/junk", "/bin", "/no/such", "" };
	for (int i = 0; i < 120; i++) {
		const char *path = paths[i % 4];
		errno = 0;
		CHECK_EQ(execv(path, argv), -1);
		CHECK(errno == ENOEXEC || errno == EACCES || errno == ENOENT);
		pid_t pid = 0;
		int e = posix_spawn(&pid, path, NULL, NULL, argv, NULL);
		CHECK(e == ENOEXEC || e == EACCES || e == ENOENT);
	}
	CHECK_EQ(count_fds(), before);
	/* Snapshots: a good spawn and a fork still go through. */
	pid_t pid = 0;
	char *good[] = { "xprobe", "exit", "3", NULL };
	CHECK_EQ(posix_spawn(&pid, PROBE, NULL, NULL, good, NULL), 0);
	CHECK_EQ(WEXITSTATUS(status_of(pid)), 3);
	pid = fork();
	if (pid == 0)
		_exit(4);
	CHECK_EQ(WEXITSTATUS(status_of(pid)), 4);
	unlink("/tmp/junk");
}

/* ---- descriptors that are not the caller's ---- */

void fds(void)
{
	int p[2], v[2];
	struct ipc_msg m;

	/* A victim with a pipe at known numbers; we ask for the same ones. */
	CHECK_EQ(pipe(v), 0);
	pid_t c = fork();
	if (c == 0) {
		/* Closes its copies, then reads what the parent's write brings. */
		char ch = 0;
		close(v[1]);
		_exit(read(v[0], &ch, 1) == 1 && ch == 'v' ? 0 : 1);
	}
	CHECK(c > 0);
	close(v[0]);
	int64_t wild[] = { -1, -2, FS_FD_MAX, FS_FD_MAX + 1, INT32_MAX, (int64_t)1 << 32,
			   INT64_MIN, -(int64_t)FS_FD_MAX };
	for (unsigned i = 0; i < sizeof(wild) / sizeof(wild[0]); i++) {
		uint64_t labels[] = { FS_READ, FS_WRITE, FS_CLOSE, FS_FSTAT, FS_GETFL, FS_SETFL,
				      FS_LSEEK, FS_PREAD };
		for (unsigned k = 0; k < sizeof(labels) / sizeof(labels[0]); k++) {
			m = (struct ipc_msg){ .w = { (uint64_t)wild[i], 1 } };
			int64_t r = fs_call(labels[k], &m, labels[k] == FS_WRITE ? 1 : 0);
			if (r != -ERR_BADF)
				printf("FAIL: fd %ld label %lu: %ld\n", (long)wild[i],
				       (unsigned long)labels[k], (long)r), t_failures++;
		}
	}
	/* The read end is closed here (the child's is its own): a read of
	 * that number is EBADF, and huge counts on our own end are refused. */
	m = (struct ipc_msg){ .w = { (uint64_t)(v[0] - FD_BASE), 1 } };
	CHECK_EQ(fs_call(FS_READ, &m, 0), -ERR_BADF);
	m = (struct ipc_msg){ .w = { (uint64_t)(v[1] - FD_BASE), ~0ul } };
	CHECK_EQ(fs_call(FS_WRITE, &m, 8), -ERR_INVAL);
	m = (struct ipc_msg){ .w = { (uint64_t)(v[1] - FD_BASE), (uint64_t)1 << 63 } };
	CHECK_EQ(fs_call(FS_WRITE, &m, 8), -ERR_INVAL);
	CHECK_EQ(write(v[1], "v", 1), 1);
	CHECK_EQ(WEXITSTATUS(status_of(c)), 0);
	close(v[1]);
	/* Ours still work. */
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(write(p[1], "ok", 2), 2);
	char b[2];
	CHECK(read(p[0], b, 2) == 2 && b[0] == 'o');
	close(p[0]);
	close(p[1]);
}
