#!/usr/bin/env python3
"""Write a stub of a shared library: same SONAME, same exported symbols and symbol versions, no code.
Every function aborts if called; data objects are zeroed. usage: stub_lib.py LIB OUT"""
import subprocess, sys, re, tempfile, os
lib, out = sys.argv[1], sys.argv[2]
soname = re.search(r'\(SONAME\)\s+Library soname: \[(.*)\]', subprocess.run(['readelf', '-d', lib], capture_output=True, text=True).stdout).group(1)
lines = subprocess.run(['objdump', '-T', lib], capture_output=True, text=True).stdout.splitlines()
funcs, objs, versions = {}, {}, {}
for ln in lines:
    m = re.match(r'^[0-9a-f]+ (.{7}) (\S+)\s+([0-9a-f]+)\s+(.*)$', ln)
    if not m: continue
    flags, sec, size, rest = m.groups()
    rest = rest.split()
    name, ver = rest[-1], (rest[0] if len(rest) > 1 and rest[0] != 'Base' and not rest[0].startswith('.') else None)
    if sec in ('*UND*', '*ABS*'): continue
    hidden = ver is not None and ver.startswith('(')
    v = ver.strip('()') if ver else None
    if hidden or not re.fullmatch(r'[A-Za-z_]\w*', name) or name in ('_init', '_fini', '_edata', '_end', '__bss_start'): continue
    (funcs if 'F' in flags else objs)[name] = (int(size, 16), v)
    if v: versions.setdefault(v, []).append(name)
with tempfile.TemporaryDirectory() as d:
    c = os.path.join(d, 's.c')
    with open(c, 'w') as f:
        f.write('extern void abort(void);\n')
        for n in funcs: f.write(f'void {n}(void) {{ abort(); }}\n')
        for n, (s, _) in objs.items(): f.write(f'char {n}[{max(s, 1)}] __attribute__((aligned(16)));\n')
    args = ['gcc', '-shared', '-fPIC', '-O0', '-fno-builtin', '-w', '-o', out, c, f'-Wl,-soname,{soname}']
    if versions:
        vs = os.path.join(d, 'v.map')
        with open(vs, 'w') as f:
            for v, names in versions.items(): f.write(f'{v} {{ global: {"; ".join(names)}; }};\n')
        args.append(f'-Wl,--version-script={vs}')
    subprocess.run(args, check=True)
print(f'{lib}: {len(funcs)} functions, {len(objs)} objects, {len(versions)} versions -> {out}')
