/*
 * unit.ext2_model: the engine against the host's own file system as the
 * model. Thousands of random operations (create with and without excl,
 * write at random offsets, truncate, unlink, mkdir, rmdir, rename, link)
 * on a small set of names are applied to an ext2 image and to a host
 * directory alike; every result must match (errno numbers mapped to
 * ERR_*: the same POSIX error for the same case), and every so often the
 * two trees must hold the same names, types, sizes, link counts and bytes.
 * At the end the engine's recount and e2fsck -fn must be clean. One run
 * has the smallest cache, so that buffers are replaced inside operations,
 * and reads in nowait mode, served as a server would; two more run the
 * changing calls in nowait mode too (trials undone and retried).
 */
#include "ext2_host.h"	/* first: it asks for the POSIX declarations */
#include <errno.h>
#include <sys/stat.h>

static const char *names[] = {
	"a", "b", "d", "d/a", "d/b", "d/e", "d/e/a", "d/e/b", "e", "e/a",
	"e/d", "e/d/a",
	/* other spellings: the tree compare skips these (k >= NPLAIN) */
	"d/", "e/d/", "a/", "d/./b", "d/e/../a", "e/d/.",
};
#define NPLAIN 12
#define NNAMES (sizeof(names) / sizeof(names[0]))
static char host_root[64];
static struct mnt *M;	/* the mount, for SERVE in nowait mode */
static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

/* Host errno -> our ERR_* (Linux numbers differ from picolibc's for a few). */
static int host_err(int r)
{
	if (r >= 0)
		return 0;
	switch (errno) {
	case ENOTEMPTY:		return -ERR_NOTEMPTY;
	case ENAMETOOLONG:	return -ERR_NAMETOOLONG;
	default:		return -errno;
	}
}

static const char *hp(const char *name)
{
	static char buf[2][256];
	static int k;

	k ^= 1;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", host_root, name);
	return buf[k];
}

static const char *ep(const char *name)
{
	static char buf[2][256];
	static int k;

	k ^= 1;
	snprintf(buf[k], sizeof(buf[k]), "/%s", name);
	return buf[k];
}

static int host_write(const char *name, uint64_t off, const uint8_t *data,
		      size_t len, bool trunc, uint64_t size)
{
	int fd = open(hp(name), O_WRONLY), r;

	if (fd < 0)
		return host_err(fd);
	r = trunc ? ftruncate(fd, (off_t)size) :
	    (int)pwrite(fd, data, len, (off_t)off);
	r = host_err(r);
	close(fd);
	return r;
}

static int eng_write(struct ext2_fs *fs, const char *name, uint64_t off,
		     const uint8_t *data, size_t len, bool trunc, uint64_t size)
{
	uint32_t ino;
	int r = (int)SERVE(M, ext2_lookup(fs, ep(name), &ino));
	int64_t n;

	if (r < 0)
		return r;
	if (trunc)
		return (int)SERVE(M, ext2_truncate(fs, ino, size));
	/* In nowait mode a write may stop short at a missing block. */
	do {
		n = SERVE(M, ext2_write(fs, ino, off, data, len));
		if (n > 0) {
			off += (uint64_t)n;
			data += n;
			len -= (size_t)n;
		}
	} while (n > 0 && len > 0);
	return n < 0 ? (int)n : 0;
}

/* One random operation on both; their results must agree. */
static void step(struct ext2_fs *fs, unsigned i)
{
	static uint8_t data[70000];
	const char *x = names[rnd(NNAMES)], *y = names[rnd(NNAMES)];
	int h = 0, e = 0, op = (int)rnd(10);
	uint32_t ino;

	switch (op) {
	case 0: case 1: {
		bool excl = rnd(2);
		int fd = open(hp(x), O_WRONLY | O_CREAT | (excl ? O_EXCL : 0), 0644);

		h = host_err(fd);
		if (fd >= 0)
			close(fd);
		e = (int)SERVE(M, ext2_create(fs, ep(x), 0644, excl, &ino));
		break;
	}
	case 2: case 3: {
		uint64_t off = rnd(4) ? rnd(20000) : rnd(100000);
		size_t len = (size_t)rnd(sizeof(data));

		fill_pat(data, off, len, i & 0xff);
		h = host_write(x, off, data, len, false, 0);
		e = eng_write(fs, x, off, data, len, false, 0);
		break;
	}
	case 4: {
		uint64_t size = rnd(3) ? rnd(30000) : rnd(150000);

		h = host_write(x, 0, NULL, 0, true, size);
		e = eng_write(fs, x, 0, NULL, 0, true, size);
		break;
	}
	case 5:
		h = host_err(unlink(hp(x)));
		e = (int)SERVE(M, ext2_unlink(fs, ep(x)));
		break;
	case 6:
		h = host_err(mkdir(hp(x), 0755));
		e = (int)SERVE(M, ext2_mkdir(fs, ep(x), 0755, &ino));
		break;
	case 7:
		h = host_err(rmdir(hp(x)));
		e = (int)SERVE(M, ext2_rmdir(fs, ep(x)));
		break;
	case 8:
		h = host_err(rename(hp(x), hp(y)));
		e = (int)SERVE(M, ext2_rename(fs, ep(x), ep(y)));
		break;
	case 9:
		h = host_err(link(hp(x), hp(y)));
		e = (int)SERVE(M, ext2_link(fs, ep(x), ep(y)));
		break;
	}
	if (h != e)
		fprintf(stderr, "step %u: op %d on %s, %s: host %d, ext2 %d\n",
			i, op, x, y, h, e);
	CHECK(h == e);
}

/* The two trees hold the same things under every name. */
static void compare(struct ext2_fs *fs)
{
	static uint8_t hb[300000], eb[300000];

	for (unsigned k = 0; k < NPLAIN; k++) {
		struct ext2_stat est;
		struct stat hst;
		uint32_t ino;
		int hr = host_err(lstat(hp(names[k]), &hst));
		int er = (int)SERVE(M, ext2_lookup(fs, ep(names[k]), &ino));

		CHECK(hr == er);
		if (hr < 0 || er < 0)
			continue;
		CHECK(SERVE(M, ext2_stat(fs, ino, &est)) == 0);
		CHECK(S_ISDIR(hst.st_mode) == ((est.mode & EXT2_S_IFMT) == EXT2_S_IFDIR));
		CHECK(hst.st_nlink == est.nlink);
		if (S_ISDIR(hst.st_mode))
			continue;
		CHECK((uint64_t)hst.st_size == est.size);
		if ((uint64_t)hst.st_size != est.size || est.size > sizeof(hb))
			continue;
		int fd = open(hp(names[k]), O_RDONLY);

		CHECK(fd >= 0 && read(fd, hb, sizeof(hb)) == (ssize_t)est.size);
		close(fd);
		CHECK(read_all(M, ino, eb, est.size) == (int64_t)est.size);
		CHECK(memcmp(hb, eb, est.size) == 0);
	}
}

static void run(unsigned bsize, unsigned steps, unsigned buffers, bool nowait,
		unsigned shadow_blocks)
{
	char img[64];
	struct mnt m;

	snprintf(host_root, sizeof(host_root), "model_host_%u", bsize);
	snprintf(img, sizeof(img), "model%u.img", bsize);
	sh("rm -rf '%s' && mkdir '%s'", host_root, host_root);
	CHECK(make_image(img, bsize, 16384, NULL, NULL));
	test_shadow_bytes = (size_t)shadow_blocks * bsize;
	CHECK(mount_img(&m, img, 0, buffers * bsize) == 0);
	if (!m.fs)
		return;
	M = &m;
	ext2_set_nowait(m.fs, nowait);
	for (unsigned i = 0; i < steps; i++) {
		step(m.fs, i);
		if (i % 200 == 199) {
			compare(m.fs);
			settle_img(m.fs, img);
		}
	}
	compare(m.fs);
	settle_img(m.fs, img);
	if (nowait) {
		printf("nowait: %u rounds of fetches\n", rounds);
		CHECK(rounds > 0);
	}
	CHECK(umount_img(&m) == 0);
	CHECK(fsck_clean(img));
}

int main(int argc, char **argv)
{
	if (!tools_found(argc, argv))
		return check_report();
	/* EXT2_MODEL_SEED=n picks other operations (by hand, for a hunt). */
	if (getenv("EXT2_MODEL_SEED"))
		rng += (uint64_t)atoll(getenv("EXT2_MODEL_SEED")) * 0x9e3779b97f4a7c15ull;
	run(1024, 3000, 64, false, 0);
	run(4096, 2000, 64, false, 0);
	run(1024, 1500, EXT2_CACHE_MIN, true, 0);	/* evictions everywhere */
	/* Changes in nowait mode too, as trials (some too big: rerun). */
	run(1024, 2000, 48, true, 12);
	run(4096, 1500, 48, true, 12);
	return check_report();
}
