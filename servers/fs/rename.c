/*
 * rename(old, new): the entry moves, replacing what `new` named (a file by
 * a file, an empty directory by a directory). A directory moved to another
 * parent gets its ".." pointed there, and the two parents' link counts
 * follow. Steps, each leaving a tree e2fsck accepts apart from link counts
 * for the moment between them:
 *   1. checks (types, emptiness, not into its own subtree, EMLINK);
 *   2. the new name is pointed at the source (added, or retargeted);
 *   3. the old name is removed; a replaced inode loses its link;
 *   4. a moved directory's ".." and the parents' link counts.
 * Every in-memory inode copy is reloaded before use, because old and new
 * parents may be the same directory.
 */
#include "ext2_int.h"

/* Step 1: may src (inode s, copy sin, in directory op) take the place of
 * the entry nslot (or of a new name, if exists is false) in n->dir? 0 yes,
 * 1 if nslot already names s (nothing to do), or an error. The checks go
 * in Linux's order, so that each case gets the same error: source above
 * the target (EINVAL), target above the source (ENOTEMPTY), the same
 * inode, then types, emptiness, the link limit. */
static int check_target(struct ext2_fs *fs, uint32_t s,
			const struct ext2_inode *sin, uint32_t op,
			const struct path_parent *n, bool exists,
			const struct dir_slot *nslot)
{
	struct ext2_inode tin;
	int r;

	if (is_dir(sin)) {	/* (trailing slashes were checked before) */
		r = is_ancestor(fs, s, n->dir);
		if (r != 0)
			return r < 0 ? r : -ERR_INVAL;	/* into its own subtree */
	}
	if (exists) {
		r = inode_load(fs, nslot->ino, &tin);
		if (r < 0)
			return r;
		if (is_dir(&tin)) {
			r = is_ancestor(fs, nslot->ino, op);
			if (r != 0)	/* over a directory above the source */
				return r < 0 ? r : -ERR_NOTEMPTY;
		}
		if (nslot->ino == s)
			return 1;	/* two names of one inode */
		if (is_dir(sin) && !is_dir(&tin))
			return -ERR_NOTDIR;
		if (!is_dir(sin) && is_dir(&tin))
			return -ERR_ISDIR;
		if (is_dir(&tin)) {
			r = dir_is_empty(fs, nslot->ino, &tin);
			if (r <= 0)
				return r < 0 ? r : -ERR_NOTEMPTY;
		}
		if (is_dir(&tin) || tin.i_links_count <= 1) {
			r = inode_prepare_delete(fs, nslot->ino, &tin);
			if (r < 0)
				return r;
		}
	}
	if (!is_dir(sin))
		return 0;
	if (!exists && n->dir != op && n->din.i_links_count >= EXT2_LINK_MAX)
		return -ERR_MLINK;
	return 0;
}

static int do_rename(struct ext2_fs *fs, const char *oldpath,
		     const char *newpath)
{
	struct path_parent o, n;
	struct dir_slot oslot, nslot, dotdot;
	struct ext2_inode sin, tin;
	bool exists;
	uint32_t s;
	int r;

	r = path_walk(fs, oldpath, NULL, &o);
	if (r < 0)
		return r;
	r = path_walk(fs, newpath, NULL, &n);
	if (r < 0)
		return r;
	if (o.len == 0 || is_dot(o.name, o.len) || n.len == 0 ||
	    is_dot(n.name, n.len))
		return -ERR_BUSY;
	r = dir_find(fs, o.dir, &o.din, o.name, o.len, &oslot);
	if (r < 0)
		return r;
	s = oslot.ino;
	r = inode_load(fs, s, &sin);
	if (r < 0)
		return r;
	if ((o.slash || n.slash) && !is_dir(&sin))
		return -ERR_NOTDIR;
	r = dir_find(fs, n.dir, &n.din, n.name, n.len, &nslot);
	if (r < 0 && r != -ERR_NOENT)
		return r;
	exists = r == 0;
	r = check_target(fs, s, &sin, o.dir, &n, exists, &nslot);
	if (r != 0)
		return r < 0 ? r : 0;	/* 1: nothing to do */
	if (fs->read_only)
		return -ERR_ROFS;
	if (is_dir(&sin) && o.dir != n.dir) {
		/* Read the ".." step 4 will change before changing anything. */
		r = dir_find(fs, s, &sin, "..", 2, &dotdot);
		if (r < 0)
			return r == -ERR_NOENT ?
			       fs_corrupt(fs, "directory without ..", s) : r;
	}

	/* 2. the new name */
	if (exists)
		r = dir_retarget(fs, n.dir, &n.din, &nslot, s,
				 dir_type_of(sin.i_mode));
	else
		r = dir_add(fs, n.dir, &n.din, n.name, n.len, s,
			    dir_type_of(sin.i_mode));
	if (r < 0)
		return r;

	/* 3. the old name; the replaced inode */
	r = inode_load(fs, o.dir, &o.din);
	if (r == 0)
		r = dir_find(fs, o.dir, &o.din, o.name, o.len, &oslot);
	if (r == 0)
		r = dir_remove(fs, o.dir, &o.din, &oslot);
	if (r < 0)
		return r;
	if (exists) {
		r = inode_load(fs, nslot.ino, &tin);
		if (r < 0)
			return r;
		if (is_dir(&tin)) {
			tin.i_links_count = 1;
			r = adjust_links(fs, n.dir, -1);	/* its ".." */
			if (r < 0)
				return r;
		}
		r = inode_drop_link(fs, nslot.ino, &tin);
		if (r < 0)
			return r;
	}

	/* 4. a moved directory */
	r = inode_load(fs, s, &sin);
	if (r < 0)
		return r;
	if (is_dir(&sin) && o.dir != n.dir) {
		r = dir_find(fs, s, &sin, "..", 2, &dotdot);
		if (r == 0)
			r = dir_retarget(fs, s, &sin, &dotdot, n.dir, EXT2_FT_DIR);
		if (r == 0)
			r = adjust_links(fs, o.dir, -1);
		if (r == 0)
			r = adjust_links(fs, n.dir, +1);
		return r;
	}
	sin.i_ctime = fs_now(fs);
	return inode_store(fs, s, &sin);
}

int ext2_rename(struct ext2_fs *fs, const char *oldpath, const char *newpath)
{
	bool trial = trial_begin(fs);
	int r = do_rename(fs, oldpath, newpath);

	if (trial && trial_end(fs, r))
		r = do_rename(fs, oldpath, newpath);	/* too big for a trial */
	return r;
}
