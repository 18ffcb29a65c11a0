// A containerSpec's `user` for the process executor: Docker's forms (`name`, `uid`, `name:group`,
// `uid:gid`) resolved through /etc/passwd and /etc/group of the host, since there is no image.

import { readFile } from 'node:fs/promises';
import { TaskFailure } from '../executor.js';

export interface Identity {
  uid: number;
  gid: number;
  /** The home directory from /etc/passwd, when the user has an entry. */
  home?: string;
}

export interface UserFiles {
  passwd: string;
  group: string;
}

export async function readUserFiles(): Promise<UserFiles> {
  const read = (file: string): Promise<string> => readFile(file, 'utf8').catch(() => '');
  return { passwd: await read('/etc/passwd'), group: await read('/etc/group') };
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

function passwdEntries(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || line.startsWith('#')) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    entries.push({ name: f[0] ?? '', uid, gid, home: f[5] ?? '' });
  }
  return entries;
}

function groupId(text: string, name: string): number | undefined {
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && f[0] === name) {
      const gid = Number(f[2]);
      if (Number.isInteger(gid)) return gid;
    }
  }
  return undefined;
}

const NUMERIC = /^\d+$/;

/** Resolves `user` as Docker does; an unknown name makes the task unrunnable here (rejected). */
export function resolveUser(user: string, files: UserFiles): Identity {
  const [userPart = '', groupPart] = user.split(':', 2);
  const entries = passwdEntries(files.passwd);
  let identity: Identity;
  if (NUMERIC.test(userPart)) {
    const uid = Number(userPart);
    const entry = entries.find((e) => e.uid === uid);
    // Docker: a numeric uid without a passwd entry runs with gid 0.
    identity = entry ? { uid, gid: entry.gid, home: entry.home } : { uid, gid: 0 };
  } else {
    const entry = entries.find((e) => e.name === userPart);
    if (!entry)
      throw new TaskFailure(`unable to find user ${userPart}: no matching entries in passwd file`, true);
    identity = { uid: entry.uid, gid: entry.gid, home: entry.home };
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (NUMERIC.test(groupPart)) identity.gid = Number(groupPart);
    else {
      const gid = groupId(files.group, groupPart);
      if (gid === undefined)
        throw new TaskFailure(`unable to find group ${groupPart}: no matching entries in group file`, true);
      identity.gid = gid;
    }
  }
  return identity;
}
