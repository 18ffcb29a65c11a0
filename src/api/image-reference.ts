// Whether a string is a valid image reference, by the grammar of distribution/reference that
// Docker (and SwarmKit's validateImage, via ParseNormalizedNamed) applies:
//   [domain[:port]/]path-component[/path-component…][:tag][@algorithm:hex]

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`,
);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const HEX_ID = /^[a-f0-9]{64}$/;
const MAX_NAME_LENGTH = 255;

export function isValidImageReference(reference: string): boolean {
  let rest = reference;
  const at = rest.indexOf('@');
  if (at >= 0) {
    if (!DIGEST.test(rest.slice(at + 1))) return false;
    rest = rest.slice(0, at);
  }
  // A tag follows the last ':' unless that colon belongs to a registry port (`host:5000/app`).
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    if (!TAG.test(rest.slice(colon + 1))) return false;
    rest = rest.slice(0, colon);
  }
  // A 64-hex name would be read as an image id, which Docker refuses as a repository name.
  if (rest === '' || rest.length > MAX_NAME_LENGTH || HEX_ID.test(rest)) return false;

  const components = rest.split('/');
  const first = components[0] ?? '';
  // ParseNormalizedNamed: the first component is a registry when it has a '.' or ':', is
  // localhost, or has upper case (which a path component may not).
  if (
    components.length > 1 &&
    (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase())
  ) {
    if (!DOMAIN.test(first)) return false;
    components.shift();
  }
  return components.every((component) => PATH_COMPONENT.test(component));
}
