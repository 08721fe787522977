-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "retry_of" UUID;
