import json, sys
# The registry this project installs from serves only the bindings of the platforms it hosts;
# npm ci still wants every optional binding of unrs-resolver listed, so the foreign ones are
# recorded with their os/cpu (npm skips them on this platform and never downloads them).
path = sys.argv[1]
lock = json.load(open(path))
pk = lock['packages']
parent = pk['node_modules/unrs-resolver']
OS = {'android':'android','darwin':'darwin','freebsd':'freebsd','linux':'linux','win32':'win32','wasm32':None}
added = 0
for name, ver in parent.get('optionalDependencies', {}).items():
    key = 'node_modules/' + name
    if key in pk: continue
    parts = name.split('resolver-binding-')[1].split('-')
    entry = {'version': ver, 'dev': True, 'license': 'MIT', 'optional': True}
    if parts[0] == 'wasm32':
        entry['cpu'] = ['wasm32']
    else:
        entry['os'] = [parts[0]]; entry['cpu'] = [parts[1]]
        if parts[-1] in ('gnu','musl'): entry['libc'] = ['glibc' if parts[-1]=='gnu' else 'musl']
    pk[key] = entry
    added += 1
lock['packages'] = dict(sorted(pk.items(), key=lambda kv: (kv[0] != '', kv[0])))
json.dump(lock, open(path, 'w'), indent=2)
open(path, 'a').write('\n')
print('added', added)
