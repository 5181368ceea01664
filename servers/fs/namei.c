/*
 * Names: path lookup and the operations that change directories (create,
 * mkdir, unlink, rmdir, link, rename). Paths start at the root, have at
 * most EXT2_PATH_DEPTH components of at most EXT2_NAME_LEN bytes, and are
 * never redirected by symbolic links (one in the middle of a path is not a
 * directory: -ERR_NOTDIR). ".." is taken from the path walked so far, and a
 * directory met twice on one walk is a loop in a damaged tree (-ERR_IO).
 */
#include <string.h>
#include "ext2_int.h"

#define ANCESTOR_STEPS 4096	/* longest ".." chain believed before a loop */

bool is_dot(const char *s, uint32_t n)
{
	return (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
}

/*
 * Walk path. With p != NULL, stop before the last component and describe
 * it in *p; otherwise the inode the whole path names goes in *ino.
 */
int path_walk(struct ext2_fs *fs, const char *path, uint32_t *ino,
		struct path_parent *p)
{
	uint32_t stack[EXT2_PATH_DEPTH + 1], depth = 0, cur = EXT2_ROOT_INO;
	const char *s = path;
	struct ext2_inode in;
	int r;

	if (!path)
		return -ERR_INVAL;
	for (size_t n = 0; path[n]; n++)
		if (n >= EXT2_PATH_MAX)
			return -ERR_NAMETOOLONG;
	if (!path[0])
		return -ERR_NOENT;
	stack[0] = cur;
	for (uint32_t count = 0;; count++) {
		const char *e;
		struct dir_slot slot;
		uint32_t len;

		while (*s == '/')
			s++;
		for (e = s; *e && *e != '/'; e++)
			;
		len = (uint32_t)(e - s);
		if (len > EXT2_NAME_LEN || (len > 0 && count >= EXT2_PATH_DEPTH))
			return -ERR_NAMETOOLONG;
		r = inode_load(fs, cur, &in);
		if (r < 0)
			return r;
		if (len > 0 && !is_dir(&in))
			return -ERR_NOTDIR;
		if (p) {
			const char *rest = e;

			while (*rest == '/')
				rest++;
			if (!*rest) {
				p->dir = cur;
				p->din = in;
				p->name = s;
				p->len = len;
				p->slash = len > 0 && *e == '/';
				return is_dir(&in) ? 0 : -ERR_NOTDIR;
			}
		} else if (len == 0) {
			/* End of the path; "a/" must name a directory. */
			if (s > path && s[-1] == '/' && cur != EXT2_ROOT_INO &&
			    !is_dir(&in))
				return -ERR_NOTDIR;
			*ino = cur;
			return 0;
		}
		if (len == 1 && s[0] == '.') {
			s = e;
			continue;
		}
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			if (depth > 0)
				depth--;
			cur = stack[depth];
			s = e;
			continue;
		}
		r = dir_find(fs, cur, &in, s, len, &slot);
		if (r < 0)
			return r;
		for (uint32_t i = 0; i <= depth; i++)
			if (stack[i] == slot.ino)
				return fs_corrupt(fs, "directory loop at inode", slot.ino);
		stack[++depth] = slot.ino;
		cur = slot.ino;
		s = e;
	}
}

int ext2_lookup(struct ext2_fs *fs, const char *path, uint32_t *ino)
{
	int r;

	nowait_begin(fs);
	r = path_walk(fs, path, ino, NULL);
	nowait_end(fs);
	return r;
}

/* Add or remove links of an inode (a directory's count changes with its
 * subdirectories' ".." entries). */
int adjust_links(struct ext2_fs *fs, uint32_t ino, int delta)
{
	struct ext2_inode in;
	int r = inode_load(fs, ino, &in);

	if (r < 0)
		return r;
	in.i_links_count = (uint16_t)(in.i_links_count + delta);
	in.i_ctime = fs_now(fs);
	return inode_store(fs, ino, &in);
}

/* Undo a half-made inode: its only link goes, and with it the inode. */
static void undo_inode(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
	in->i_links_count = 1;
	(void)inode_drop_link(fs, ino, in);
}

static int do_create(struct ext2_fs *fs, const char *path, uint16_t perm,
		     bool excl, uint32_t *ino)
{
	struct ext2_inode in;
	struct dir_slot slot;
	struct path_parent p;
	int r = path_walk(fs, path, NULL, &p);

	if (r < 0)
		return r;
	if (p.slash)	/* "name/" asks for a directory, as in Linux */
		return -ERR_ISDIR;
	if (p.len == 0 || is_dot(p.name, p.len))
		return excl ? -ERR_EXIST : -ERR_ISDIR;
	r = dir_find(fs, p.dir, &p.din, p.name, p.len, &slot);
	if (r == 0) {
		if (excl)
			return -ERR_EXIST;
		r = inode_load(fs, slot.ino, &in);
		if (r < 0)
			return r;
		if (is_dir(&in))
			return -ERR_ISDIR;
		*ino = slot.ino;
		return 0;
	}
	if (r != -ERR_NOENT)
		return r;
	if (fs->read_only)
		return -ERR_ROFS;
	r = alloc_inode(fs, p.dir, false, ino);
	if (r < 0)
		return r;
	r = inode_init(fs, *ino, &in, EXT2_S_IFREG | (perm & 07777));
	if (r < 0) {
		(void)free_inode(fs, *ino, false);
		return r;
	}
	in.i_links_count = 1;
	r = inode_store(fs, *ino, &in);
	if (r == 0)
		r = dir_add(fs, p.dir, &p.din, p.name, p.len, *ino, EXT2_FT_REG_FILE);
	if (r < 0)
		undo_inode(fs, *ino, &in);
	return r;
}

static int do_mkdir(struct ext2_fs *fs, const char *path, uint16_t perm,
		    uint32_t *ino)
{
	struct ext2_inode in;
	struct dir_slot slot;
	struct path_parent p;
	int r = path_walk(fs, path, NULL, &p);

	if (r < 0)
		return r;
	if (p.len == 0 || is_dot(p.name, p.len))
		return -ERR_EXIST;
	r = dir_find(fs, p.dir, &p.din, p.name, p.len, &slot);
	if (r == 0)
		return -ERR_EXIST;
	if (r != -ERR_NOENT)
		return r;
	if (fs->read_only)
		return -ERR_ROFS;
	if (p.din.i_links_count >= EXT2_LINK_MAX)
		return -ERR_MLINK;
	r = alloc_inode(fs, p.dir, true, ino);
	if (r < 0)
		return r;
	r = inode_init(fs, *ino, &in, EXT2_S_IFDIR | (perm & 07777));
	if (r < 0) {
		(void)free_inode(fs, *ino, true);
		return r;
	}
	r = dir_init(fs, *ino, &in, p.dir);
	if (r == 0)
		r = dir_add(fs, p.dir, &p.din, p.name, p.len, *ino, EXT2_FT_DIR);
	if (r < 0) {
		undo_inode(fs, *ino, &in);
		return r;
	}
	return adjust_links(fs, p.dir, +1);	/* the new ".." */
}

static int do_unlink(struct ext2_fs *fs, const char *path)
{
	struct ext2_inode in;
	struct dir_slot slot;
	struct path_parent p;
	int r = path_walk(fs, path, NULL, &p);

	if (r < 0)
		return r;
	if (p.len == 0 || is_dot(p.name, p.len))
		return -ERR_ISDIR;
	r = dir_find(fs, p.dir, &p.din, p.name, p.len, &slot);
	if (r < 0)
		return r;
	r = inode_load(fs, slot.ino, &in);
	if (r < 0)
		return r;
	if (is_dir(&in))
		return -ERR_ISDIR;
	if (p.slash)
		return -ERR_NOTDIR;
	if (fs->read_only)
		return -ERR_ROFS;
	if (in.i_links_count <= 1) {
		r = inode_prepare_delete(fs, slot.ino, &in);
		if (r < 0)
			return r;
	}
	r = dir_remove(fs, p.dir, &p.din, &slot);
	if (r < 0)
		return r;
	return inode_drop_link(fs, slot.ino, &in);
}

static int do_rmdir(struct ext2_fs *fs, const char *path)
{
	struct ext2_inode in;
	struct dir_slot slot;
	struct path_parent p;
	int r = path_walk(fs, path, NULL, &p);

	if (r < 0)
		return r;
	if (p.len == 0)
		return -ERR_BUSY;
	if (p.len == 1 && p.name[0] == '.')
		return -ERR_INVAL;
	if (p.len == 2 && p.name[0] == '.' && p.name[1] == '.')
		return -ERR_NOTEMPTY;
	r = dir_find(fs, p.dir, &p.din, p.name, p.len, &slot);
	if (r < 0)
		return r;
	r = inode_load(fs, slot.ino, &in);
	if (r < 0)
		return r;
	if (!is_dir(&in))
		return -ERR_NOTDIR;
	r = dir_is_empty(fs, slot.ino, &in);
	if (r < 0)
		return r;
	if (r == 0)
		return -ERR_NOTEMPTY;
	if (fs->read_only)
		return -ERR_ROFS;
	r = inode_prepare_delete(fs, slot.ino, &in);
	if (r == 0)
		r = dir_remove(fs, p.dir, &p.din, &slot);
	if (r == 0)
		r = adjust_links(fs, p.dir, -1);	/* its ".." */
	if (r < 0)
		return r;
	in.i_links_count = 1;			/* its "." goes too */
	return inode_drop_link(fs, slot.ino, &in);
}

static int do_link(struct ext2_fs *fs, const char *oldpath,
		   const char *newpath)
{
	struct ext2_inode in;
	struct dir_slot slot;
	struct path_parent p;
	uint32_t ino;
	int r = path_walk(fs, oldpath, &ino, NULL);

	if (r < 0)
		return r;
	r = inode_load(fs, ino, &in);
	if (r < 0)
		return r;
	/* The new name's errors come first, as in Linux. */
	r = path_walk(fs, newpath, NULL, &p);
	if (r < 0)
		return r;
	if (p.len == 0 || is_dot(p.name, p.len))
		return -ERR_EXIST;
	r = dir_find(fs, p.dir, &p.din, p.name, p.len, &slot);
	if (r == 0)
		return -ERR_EXIST;
	if (r != -ERR_NOENT)
		return r;
	if (p.slash)	/* "name/" for a new name that is no directory */
		return -ERR_NOENT;
	if (is_dir(&in))
		return -ERR_PERM;
	if (fs->read_only)
		return -ERR_ROFS;
	if (in.i_links_count >= EXT2_LINK_MAX)
		return -ERR_MLINK;
	r = dir_add(fs, p.dir, &p.din, p.name, p.len, ino, dir_type_of(in.i_mode));
	if (r < 0)
		return r;
	return adjust_links(fs, ino, +1);
}

/* Is directory anc on the ".." chain from dir up to the root? */
int is_ancestor(struct ext2_fs *fs, uint32_t anc, uint32_t dir)
{
	for (uint32_t step = 0; step < ANCESTOR_STEPS; step++) {
		struct ext2_inode in;
		struct dir_slot slot;
		int r;

		if (dir == anc)
			return 1;
		if (dir == EXT2_ROOT_INO)
			return 0;
		r = inode_load(fs, dir, &in);
		if (r == 0)
			r = dir_find(fs, dir, &in, "..", 2, &slot);
		if (r < 0)
			return r == -ERR_NOENT ? fs_corrupt(fs, "directory without ..", dir) : r;
		dir = slot.ino;
	}
	return fs_corrupt(fs, "directory loop above inode", dir);
}

int ext2_create(struct ext2_fs *fs, const char *path, uint16_t perm, bool excl,
		uint32_t *ino)
{
	bool trial = trial_begin(fs);
	int r = do_create(fs, path, perm, excl, ino);

	if (trial && trial_end(fs, r))
		r = do_create(fs, path, perm, excl, ino);	/* too big for a trial */
	return r;
}

int ext2_mkdir(struct ext2_fs *fs, const char *path, uint16_t perm,
	       uint32_t *ino)
{
	bool trial = trial_begin(fs);
	int r = do_mkdir(fs, path, perm, ino);

	if (trial && trial_end(fs, r))
		r = do_mkdir(fs, path, perm, ino);	/* too big for a trial */
	return r;
}

int ext2_unlink(struct ext2_fs *fs, const char *path)
{
	bool trial = trial_begin(fs);
	int r = do_unlink(fs, path);

	if (trial && trial_end(fs, r))
		r = do_unlink(fs, path);	/* too big for a trial */
	return r;
}

int ext2_rmdir(struct ext2_fs *fs, const char *path)
{
	bool trial = trial_begin(fs);
	int r = do_rmdir(fs, path);

	if (trial && trial_end(fs, r))
		r = do_rmdir(fs, path);	/* too big for a trial */
	return r;
}

int ext2_link(struct ext2_fs *fs, const char *oldpath, const char *newpath)
{
	bool trial = trial_begin(fs);
	int r = do_link(fs, oldpath, newpath);

	if (trial && trial_end(fs, r))
		r = do_link(fs, oldpath, newpath);	/* too big for a trial */
	return r;
}
