import json,sys,collections
p=json.load(open(sys.argv[1]))
nodes={n['id']:n for n in p['nodes']}
dt=collections.Counter()
samples=p['samples']; deltas=p['timeDeltas']
for s,d in zip(samples,deltas): dt[s]+=d
total=sum(dt.values())
byfn=collections.Counter(); byfile=collections.Counter()
for nid,t in dt.items():
    cf=nodes[nid]['callFrame']
    url=cf['url'].split('node_modules/')[-1] if 'node_modules' in cf['url'] else cf['url'].replace('file:///work/wt18/','')
    byfn[(cf['functionName'] or '(anon)')+' '+url.split('/')[-1]+':'+str(cf['lineNumber'])]+=t
    pkg=url.split('/')[0] if 'node_modules' in cf['url'] else ('/'.join(url.split('/')[:4]) if url else cf['functionName'])
    if cf['url'].count('node_modules/'):
        u=cf['url'].split('node_modules/')[-1]; parts=u.split('/'); pkg=parts[0]+('/'+parts[1] if parts[0].startswith('@') else '')
    byfile[pkg]+=t
print('total ms', total/1000)
for k,v in byfile.most_common(25): print(f"{v/total*100:5.1f}% {k}")
print('---')
for k,v in byfn.most_common(30): print(f"{v/total*100:5.1f}% {k}")
