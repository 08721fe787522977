-- CreateEnum
CREATE TYPE "JobKind" AS ENUM ('workflow', 'txt2img');

-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "kind" "JobKind" NOT NULL DEFAULT 'workflow';
