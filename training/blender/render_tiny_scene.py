"""Render a tiny test scene to a Blender multilayer OpenEXR with the passes pack_blender.py reads.

    blender -b --factory-startup -P training/blender/render_tiny_scene.py -- --out FILE.exr [--size 64]
        [--samples 4]

The scene: a grey ground plane and three coloured objects (cube, sphere, cone), each with its own
pass index, a sun light and a camera that sees some empty sky, so the render has background pixels
(film is transparent there: alpha 0, no depth, no normal). Cycles on the CPU at a few samples keeps it
to a few seconds. Passes: Combined (for alpha), Depth, Normal, DiffCol, IndexOB. Cycles in Blender 3.x
has no Shadow pass, so pack_blender.py writes shadow = 255 for these renders. The camera's
world-to-camera rotation goes into the EXR header as the render note (JSON), because Cycles' Normal
pass is in world space and pack_blender.py turns it into camera space.
"""

import argparse
import json
import math
import sys

import bpy
from mathutils import Vector


def parse_args():
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    ap = argparse.ArgumentParser(prog="render_tiny_scene.py")
    ap.add_argument("--out", required=True, help="output multilayer .exr path")
    ap.add_argument("--size", type=int, default=64, help="width and height in pixels")
    ap.add_argument("--samples", type=int, default=4, help="Cycles samples per pixel")
    return ap.parse_args(argv)


def material(name, rgb):
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    bsdf = mat.node_tree.nodes["Principled BSDF"]
    bsdf.inputs["Base Color"].default_value = (*rgb, 1.0)
    return mat


def add(op, name, rgb, pass_index, **kw):
    op(**kw)
    obj = bpy.context.active_object
    obj.name = name
    obj.pass_index = pass_index  # → IndexOB pass → matid.png
    obj.data.materials.append(material(name, rgb))
    return obj


def build_scene(size, samples):
    # Start empty: the factory startup scene's cube, light and camera are removed.
    bpy.ops.object.select_all(action="SELECT")
    bpy.ops.object.delete()
    scene = bpy.context.scene

    add(bpy.ops.mesh.primitive_plane_add, "Ground", (0.5, 0.5, 0.5), 1, size=12)
    add(bpy.ops.mesh.primitive_cube_add, "Cube", (0.8, 0.1, 0.1), 2, size=1.2,
        location=(-1.2, 0.3, 0.6))
    sphere = add(bpy.ops.mesh.primitive_uv_sphere_add, "Sphere", (0.1, 0.7, 0.15), 3, radius=0.7,
                 location=(0.9, -0.2, 0.7), segments=24, ring_count=12)
    bpy.ops.object.shade_smooth()  # smooth normals: a spread of directions in the Normal pass
    add(bpy.ops.mesh.primitive_cone_add, "Cone", (0.1, 0.2, 0.9), 4, radius1=0.5, depth=1.2,
        location=(0.1, 1.4, 0.6))
    assert sphere.pass_index == 3

    bpy.ops.object.light_add(type="SUN", location=(3, -3, 6), rotation=(0.6, 0.2, 0.8))
    bpy.context.active_object.data.energy = 3.0

    # Camera low and looking slightly up past the objects so the top rows are empty sky.
    bpy.ops.object.camera_add(location=(0.0, -4.2, 1.5))
    cam = bpy.context.active_object
    cam.rotation_euler = (Vector((0.0, 0.5, 1.0)) - cam.location).to_track_quat("-Z", "Y").to_euler()
    cam.data.lens = 30
    scene.camera = cam

    render = scene.render
    render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = samples
    scene.cycles.use_adaptive_sampling = False
    scene.cycles.use_denoising = False
    scene.cycles.max_bounces = 2
    render.resolution_x = render.resolution_y = size
    render.resolution_percentage = 100
    render.film_transparent = True  # background alpha 0 → transp 255

    layer = scene.view_layers[0]
    layer.use_pass_combined = True
    layer.use_pass_z = True
    layer.use_pass_normal = True
    layer.use_pass_diffuse_color = True
    layer.use_pass_object_index = True

    settings = render.image_settings
    settings.file_format = "OPEN_EXR_MULTILAYER"
    settings.color_depth = "32"  # full float: depth and normals need more than half precision
    settings.exr_codec = "ZIP"

    # Record the camera rotation (world → camera, row-major 3×3) in the EXR header ("Note").
    bpy.context.view_layer.update()
    world_to_cam = cam.matrix_world.to_3x3().inverted()
    render.use_stamp_note = True
    render.stamp_note_text = json.dumps(
        {"cnnv3_world_to_camera": [[round(v, 7) for v in row] for row in world_to_cam]})
    return scene


def main():
    args = parse_args()
    scene = build_scene(args.size, args.samples)
    scene.render.use_file_extension = False  # write exactly --out
    scene.render.filepath = args.out
    bpy.ops.render.render(write_still=True)
    print(f"render_tiny_scene: wrote {args.out}")


main()
