# Generates the SDK's artifact copy of a table whose cells are every media type.
import io, json, os, sys, shutil, numpy as np
os.environ["WANDB_MODE"]="offline"; os.environ["WANDB_SILENT"]="true"
import wandb
from wandb.sdk.artifacts.artifact import Artifact
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
# a small GIF file (any bytes work: copied unchanged)
gif = os.path.join(out, "clip.gif")
if not os.path.exists(gif):
    from PIL import Image as P
    frames=[P.fromarray(np.full((4,6,3), 40*i, np.uint8)) for i in range(3)]
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=250, loop=0)
pdb = "ATOM      1  N   ALA A   1      11.104   6.134  -6.504  1.00  0.00           N\nEND\n"
pdbf = os.path.join(out, "mol.pdb"); open(pdbf,"w").write(pdb)
audio = (np.arange(64, dtype=np.float64) / 64.0 - 0.5)
pts = np.array([[0,0,0],[1,2,3],[0.5,-1,2]], dtype=np.float64)
t = wandb.Table(columns=["k","video","audio","html","mol_file","mol_str","points"])
t.add_data(1, wandb.Video(gif, caption="v"), wandb.Audio(audio, sample_rate=8000, caption="a"),
           wandb.Html("<p>hi</p>", inject=False), wandb.Molecule(pdbf), wandb.Molecule(io.StringIO(pdb), file_type="pdb"),
           wandb.Object3D(pts))
a = Artifact("x", "run_table")
a.add(t, "tbl")
m = a.manifest.to_manifest_json()
entries = {k: v["digest"] for k, v in m["contents"].items()}
src = a.manifest.entries["tbl.table.json"].local_path
shutil.copy(src, os.path.join(out, "sdk_media_table.json"))
json.dump(entries, open(os.path.join(out, "sdk_media_table_entries.json"), "w"), indent=1, sort_keys=True)
# Object3D from an .obj file is refused in artifacts
try:
    objf = os.path.join(out, "m.obj"); open(objf,"w").write("v 0 0 0\n")
    t2 = wandb.Table(columns=["o"]); t2.add_data(wandb.Object3D(objf)); b = Artifact("y","run_table"); b.add(t2, "t2")
    print("obj: accepted")
except Exception as e:
    print("obj error:", type(e).__name__, e)
print(open(os.path.join(out, "sdk_media_table.json")).read())
print(json.dumps(entries, indent=1))
